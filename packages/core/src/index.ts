export * from "./errors";
// issue 6: recurrent runtime (LSTM/GRU states from PyTorch weights)
export * from "./rnn";
// issue 5: explorer helpers (Select/Match view; the browser uses them)
export * from "./explorer/window";
export * from "./explorer/view-state";
export * from "./explorer/export-csv";

export * from "./errors";
export * from "./random";
export * from "./matching/matrix";
export * from "./matching/on-index";
export * from "./matching/query";
export * from "./matching/select-cells";
export * from "./matching/scan";
export * from "./matching/match";
export * from "./matching/distributed";
// issue 6: recurrent runtime (LSTM/GRU states from PyTorch weights)
export * from "./rnn";
// issue 5: explorer helpers (Select/Match view; the browser uses them)
export * from "./explorer/window";
export * from "./explorer/view-state";
export * from "./explorer/export-csv";
export * from "./figures/layout";
export * from "./figures/snapshot";
export * from "./figures/svg";
export * from "./figures/theme";
export * from "./figures/figure";

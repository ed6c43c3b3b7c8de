export * from "./errors";
export * from "./random";
export * from "./matching/matrix";
export * from "./matching/on-index";
export * from "./matching/query";
export * from "./matching/select-cells";
export * from "./matching/scan";
export * from "./matching/match";
export * from "./matching/distributed";
// the recurrent runtime (LSTM/GRU states from PyTorch weights)
export * from "./rnn";
// explorer helpers (Select/Match view; the browser and the explore page use them)
export * from "./explorer/window";
export * from "./explorer/view-state";
export * from "./explorer/initial-window";
export * from "./explorer/colors";
export * from "./explorer/match-layout";
export * from "./explorer/export-csv";
export * from "./csv-safety";

export * from "./errors";
export * from "./random";
export * from "./html-text";
export * from "./matching/matrix";
export * from "./matching/on-index";
export * from "./matching/cell-major";
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
export * from "./figures/layout";
export * from "./figures/snapshot";
export * from "./figures/svg";
export * from "./figures/theme";
export * from "./figures/figure";
export * from "./csv-safety";
// issue 16: analysis (cell search, evidence for a match, threshold guidance, layer comparison)
export * from "./analysis/kernels";
export * from "./analysis/rows";
export * from "./analysis/histograms";
export * from "./analysis/ranks";
export * from "./analysis/prepare";
export * from "./analysis/cell-search";
export * from "./analysis/evidence";
export * from "./analysis/guidance";
export * from "./analysis/compare";

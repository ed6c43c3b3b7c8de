export * from "./errors";
// issue 6: recurrent runtime (LSTM/GRU states from PyTorch weights)
export * from "./rnn";

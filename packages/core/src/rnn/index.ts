export * from "./model";
export * from "./tokenizer";
export * from "./run";
export { gemmNT, matvecAdd } from "./kernels";
export { simdAvailable } from "./simd";

export * from "./safetensors";

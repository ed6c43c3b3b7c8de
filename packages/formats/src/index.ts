export {};
// issue 3 readers: dictionaries, NPY, HDF5, LSTMVis projects, NumPy folders, archives
export * from "./dict/dict";
export { type NumericDtype, isFloatDtype, isIntegerDtype } from "./npy/dtype";
export * from "./npy/numeric-array";
export * from "./npy/npy";
export * from "./hdf5/h5";
export * from "./lstmvis/dataset-reader";
export { parseLstmYml, openLstmVisProject, type LstmVisConfig, type OpenOptions } from "./lstmvis/project";
export { openDataset } from "./lstmvis/open-dataset";
export { openNumpyFolder, isNumpyFolder } from "./numpy-folder/numpy-folder";
export * from "./archive/archive";
export { tarHeader } from "./archive/tar-header";
// issue 6: safetensors reader
export * from "./safetensors";

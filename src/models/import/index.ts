// Importing weights trained elsewhere (PyTorch zip checkpoints, safetensors; timm and the authors' names).
export { importCheckpoint, modelFromStateDict, chooseSource, sourceIds, sourceById, type ImportOptions, type ImportResult } from './import-checkpoint.ts';
export { readStateDict, parseStateDict, findStateDict, WRAPPER_KEYS, type StateDict } from './state-dict.ts';
export { readTorchFile } from './torch-file.ts';
export { unpickle, PickleGlobal, PickleObject, type PickleValue, type UnpickleOptions } from './pickle.ts';
export { openZip, crc32, type ZipArchive, type ZipEntry } from './zip.ts';
export { SourceTensor, type SourceDtype } from './source-tensor.ts';
export { sourceShape, toTargetLayout, toSourceLayout } from './convert.ts';
export { readSafetensorsSource } from './safetensors-source.ts';

// The WebGPU backend on Dawn: registration for src/backend/select.ts, the adapter in use, and the Vulkan checks.
export { tryRegisterWebGPUBackend, webgpuAdapter, WEBGPU, type WebGPURegistration, type WebGPUOptions } from './register.ts';
export type { AdapterSummary } from './adapter.ts';
export { diagnoseVulkan, type VulkanDiagnosis } from './vulkan-diagnosis.ts';
export { swiftShaderEnv, SWIFTSHADER_ICD } from './swiftshader.ts';
export { SyncReadError } from './read-sync.ts';

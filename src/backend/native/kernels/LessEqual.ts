import { binaryKernel } from './binary_impl.ts';

export const lessEqualConfig = binaryKernel('LessEqual');

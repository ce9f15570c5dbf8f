import { binaryKernel } from './binary_impl.ts';

export const lessConfig = binaryKernel('Less');

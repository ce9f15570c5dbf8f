import { binaryKernel } from './binary_impl.ts';

export const minimumConfig = binaryKernel('Minimum');

import { binaryKernel } from './binary_impl.ts';

export const multiplyConfig = binaryKernel('Multiply');

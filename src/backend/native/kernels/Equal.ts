import { binaryKernel } from './binary_impl.ts';

export const equalConfig = binaryKernel('Equal');

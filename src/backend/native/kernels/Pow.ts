import { binaryKernel } from './binary_impl.ts';

export const powConfig = binaryKernel('Pow');

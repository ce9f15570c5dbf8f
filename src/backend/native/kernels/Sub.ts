import { binaryKernel } from './binary_impl.ts';

export const subConfig = binaryKernel('Sub');

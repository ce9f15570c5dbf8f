import { binaryKernel } from './binary_impl.ts';

export const addConfig = binaryKernel('Add');

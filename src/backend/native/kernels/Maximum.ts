import { binaryKernel } from './binary_impl.ts';

export const maximumConfig = binaryKernel('Maximum');

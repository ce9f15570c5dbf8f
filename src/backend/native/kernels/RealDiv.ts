import { binaryKernel } from './binary_impl.ts';

export const realDivConfig = binaryKernel('RealDiv');

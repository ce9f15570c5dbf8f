import { binaryKernel } from './binary_impl.ts';

export const squaredDifferenceConfig = binaryKernel('SquaredDifference');

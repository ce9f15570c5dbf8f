import { unaryKernel } from './unary_impl.ts';

export const squareConfig = unaryKernel('Square');

import { unaryKernel } from './unary_impl.ts';

export const clipByValueConfig = unaryKernel('ClipByValue', (a) => [Number(a.clipValueMin), Number(a.clipValueMax)]);

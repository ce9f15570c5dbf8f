// Shared by the Conv2D kernels: tfjs conv geometry to the addon's 15-integer NHWC description.
import { tf } from '../../tf.ts';

export type ConvInfo = tf.backend_util.Conv2DInfo;

export function convGeom(c: ConvInfo): number[] {
  return [c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, c.outChannels,
    c.outHeight, c.outWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left];
}

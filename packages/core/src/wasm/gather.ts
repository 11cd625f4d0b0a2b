import * as tf from '@tensorflow/tfjs';

/** UnsortedSegmentSum (gather's gradient) as one ScatterNd, which sums duplicate ids. Ids must lie in [0, numSegments). */
export function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const idsRank = segmentIds.rank;
  if (x.shape.slice(0, idsRank).some((d, i) => d !== segmentIds.shape[i])) {
    throw new Error(`UnsortedSegmentSum: segment ids [${segmentIds.shape.join(', ')}] are not a prefix of x [${x.shape.join(', ')}]`);
  }
  const rest = x.shape.slice(idsRank);
  return tf.tidy(() => {
    const ids = tf.reshape(segmentIds.dtype === 'int32' ? segmentIds : tf.cast(segmentIds, 'int32'), [-1, 1]);
    return tf.scatterND(ids, tf.reshape(x, [segmentIds.size, ...rest]), [numSegments, ...rest]);
  });
}

/** GatherV2 with `batchDims` > 0 as one flat gather (wasm's own batched gather gives wrong values). */
export function batchedGather(x: tf.Tensor, indices: tf.Tensor, axis: number, batchDims: number): tf.Tensor {
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(x as tf.TensorInfo as never, indices as tf.TensorInfo as never, axis, batchDims);
  const { batchSize, outerSize, dimSize, sliceSize, outputShape } = info;
  const perBatch = indices.size / batchSize;
  return tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, batchSize * outerSize * dimSize, dimSize, 'int32'), [batchSize, outerSize, 1]);
    const flatIdx = tf.add(tf.reshape(tf.cast(indices, 'int32'), [batchSize, 1, perBatch]), rows);
    const values = tf.gather(tf.reshape(x, [batchSize * outerSize * dimSize, sliceSize]), tf.reshape(flatIdx, [-1]), 0, 0);
    return tf.reshape(values, outputShape);
  });
}

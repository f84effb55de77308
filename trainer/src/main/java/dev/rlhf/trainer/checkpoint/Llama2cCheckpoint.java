package dev.rlhf.trainer.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.LlamaConfig;
import dev.rlhf.trainer.model.LlamaModel;
import dev.rlhf.trainer.model.LlamaModel.Block;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Reads Karpathy's llama2.c checkpoint format: a header of 7 little-endian int32
 * {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len} (a negative
 * vocab_size means a separate output head), then float32 weights stacked per kind over all layers.
 */
public final class Llama2cCheckpoint {

    private static final int HEADER_BYTES = 7 * Integer.BYTES;

    private Llama2cCheckpoint() {}

    /** Reads only the header. */
    public static LlamaConfig readConfig(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining()) {
                if (channel.read(header) < 0) {
                    throw new CheckpointException(file + ": too short for a llama2.c header (" + channel.size() + " bytes)");
                }
            }
            header.flip();
            int dim = header.getInt();
            int hiddenDim = header.getInt();
            int nLayers = header.getInt();
            int nHeads = header.getInt();
            int nKvHeads = header.getInt();
            int vocabSize = header.getInt();
            int seqLen = header.getInt();
            try {
                return LlamaConfig.of(dim, hiddenDim, nLayers, nHeads, nKvHeads, Math.abs(vocabSize), seqLen, vocabSize > 0);
            } catch (IllegalArgumentException e) {
                throw new CheckpointException(file + ": not a llama2.c checkpoint (" + e.getMessage() + ")", e);
            }
        }
    }

    public static LlamaModel load(Path file, Device device) throws IOException {
        LlamaConfig c = readConfig(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long expectedFloats = expectedFloats(c);
            if (size < HEADER_BYTES + expectedFloats * Float.BYTES) {
                throw new CheckpointException(file + ": " + size + " bytes, but " + c + " needs "
                        + (HEADER_BYTES + expectedFloats * Float.BYTES));
            }
            // Mapped read: the file can be larger than 2 GiB in total, but each tensor is smaller.
            Reader reader = new Reader(channel, HEADER_BYTES);
            NDManager manager = NDManager.newBaseManager(device);
            try {
                Map<String, NDArray> w = new LinkedHashMap<>();
                Map<String, Shape> shapes = LlamaModel.expectedShapes(c);
                w.put(LlamaModel.EMBEDDING, reader.next(manager, shapes.get(LlamaModel.EMBEDDING)));
                List<Block> blocks = IntStream.range(0, c.nLayers()).mapToObj(i -> Block.of(i, c)).toList();
                // llama2.c stores each weight of every layer before the next weight, in this order (w1, w2, w3:
                // gate, down, up).
                for (Function<Block, String> weight : List.<Function<Block, String>>of(Block::attentionNorm,
                        b -> b.q().weight(), b -> b.k().weight(), b -> b.v().weight(), b -> b.o().weight(), Block::mlpNorm,
                        b -> b.gate().weight(), b -> b.down().weight(), b -> b.up().weight())) {
                    for (Block block : blocks) {
                        String name = weight.apply(block);
                        w.put(name, reader.next(manager, shapes.get(name)));
                    }
                }
                w.put(LlamaModel.FINAL_NORM, reader.next(manager, shapes.get(LlamaModel.FINAL_NORM)));
                // Legacy RoPE tables (freq_cis_real, freq_cis_imag): recomputed by the model instead.
                reader.skip(2L * c.maxSeqLen() * c.headDim() / 2);
                if (!c.tiedEmbeddings()) {
                    w.put(LlamaModel.OUTPUT_HEAD, reader.next(manager, shapes.get(LlamaModel.OUTPUT_HEAD)));
                }
                return new LlamaModel(c, manager, orderedLikeModel(c, w));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    private static Map<String, NDArray> orderedLikeModel(LlamaConfig config, Map<String, NDArray> weights) {
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (String name : LlamaModel.expectedShapes(config).keySet()) {
            ordered.put(name, weights.get(name));
        }
        return ordered;
    }

    private static long expectedFloats(LlamaConfig c) {
        long ropeTables = (long) c.maxSeqLen() * c.headDim();
        return c.parameterCount() + ropeTables;
    }

    /** Sequential float32 reader over a file channel. */
    private static final class Reader {
        private final FileChannel channel;
        private long offset;

        Reader(FileChannel channel, long offset) {
            this.channel = channel;
            this.offset = offset;
        }

        NDArray next(NDManager manager, Shape shape) throws IOException {
            long bytes = shape.size() * Float.BYTES;
            FloatBuffer floats = channel.map(FileChannel.MapMode.READ_ONLY, offset, bytes)
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] values = new float[(int) shape.size()];
            floats.get(values);
            offset += bytes;
            return manager.create(values, shape);
        }

        void skip(long floats) {
            offset += floats * Float.BYTES;
        }
    }
}

package dev.rlhf.trainer.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlhf.trainer.model.WeightsDtype;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Named tensors to and from {@code .safetensors} (an 8-byte little-endian header length, a JSON
 * header of {@code {name: {dtype, shape, data_offsets}}}, then the raw little-endian data).
 *
 * <p>The bytes are converted here in Java rather than by DJL: the model computes in float32 on the
 * CPU, and DJL 0.35.1's CPU bfloat16 arrays are not safe to create or convert (they aborted the
 * JVM). bfloat16 and float16 widen to float32 exactly; writing rounds to nearest even, which gives
 * back the original bits for values that came from that dtype.
 */
public final class SafetensorsFiles {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String METADATA = "__metadata__";
    /** Elements converted per chunk when writing (bounds the temporary buffer). */
    private static final int CHUNK = 1 << 20;

    private SafetensorsFiles() {}

    /** One tensor's entry in a header. */
    public record Entry(String name, WeightsDtype dtype, Shape shape, long begin, long end) {}

    /** Reads every tensor of a file as float32, by name, into {@code manager}. */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = header(file, channel);
            Map<String, NDArray> byName = new LinkedHashMap<>();
            try {
                for (Entry e : header.entries()) {
                    byName.put(e.name(), readTensor(channel, header.dataStart(), e, manager));
                }
            } catch (IOException | RuntimeException ex) {
                byName.values().forEach(NDArray::close);
                throw ex;
            }
            return byName;
        }
    }

    /** The tensors a file holds, from its header only. */
    public static List<Entry> entries(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return header(file, channel).entries();
        }
    }

    /**
     * The dtype of a file's tensors: the one they share, or F32 when they mix dtypes (saving in
     * float32 then loses nothing).
     */
    public static WeightsDtype dtypeOf(List<Entry> entries) {
        WeightsDtype common = null;
        for (Entry e : entries) {
            if (common == null) {
                common = e.dtype();
            } else if (common != e.dtype()) {
                return WeightsDtype.F32;
            }
        }
        return common == null ? WeightsDtype.F32 : common;
    }

    /** Writes named float32 tensors in float32. */
    public static void write(Path file, Map<String, NDArray> tensors) throws IOException {
        write(file, tensors, WeightsDtype.F32);
    }

    /** Writes named tensors (names taken from the map keys), converted to {@code dtype}. */
    public static void write(Path file, Map<String, NDArray> tensors, WeightsDtype dtype) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject(METADATA).put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
            ObjectNode entry = header.putObject(t.getKey());
            entry.put("dtype", dtype.safetensorsName());
            var shape = entry.putArray("shape");
            for (long d : t.getValue().getShape().getShape()) {
                shape.add(d);
            }
            long bytes = t.getValue().getShape().size() * dtype.bytes();
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8-byte alignment
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) {
                out.write(' ');
            }
            for (NDArray array : tensors.values()) {
                writeTensor(out, array, dtype);
            }
        }
    }

    private static void writeTensor(OutputStream out, NDArray array, WeightsDtype dtype) throws IOException {
        float[] values;
        if (array.getDataType() == DataType.FLOAT32) {
            values = array.toFloatArray();
        } else {
            try (NDArray wide = array.toType(DataType.FLOAT32, true)) {
                values = wide.toFloatArray();
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(Math.min(values.length, CHUNK) * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (int from = 0; from < values.length; from += CHUNK) {
            buffer.clear();
            int to = Math.min(values.length, from + CHUNK);
            for (int i = from; i < to; i++) {
                switch (dtype) {
                    case F32 -> buffer.putFloat(values[i]);
                    case BF16 -> buffer.putShort(WeightsDtype.toBfloat16(values[i]));
                    case F16 -> buffer.putShort(Float.floatToFloat16(values[i]));
                }
            }
            out.write(buffer.array(), 0, buffer.position());
        }
    }

    private static NDArray readTensor(FileChannel channel, long dataStart, Entry e, NDManager manager) throws IOException {
        long count = e.shape().size();
        if (count > Integer.MAX_VALUE) {
            throw new CheckpointException(e.name() + ": " + count + " elements exceed one Java array");
        }
        float[] values = new float[(int) count];
        ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin())
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (e.dtype()) {
            case F32 -> bytes.asFloatBuffer().get(values);
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = WeightsDtype.fromBfloat16(bytes.getShort());
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.float16ToFloat(bytes.getShort());
                }
            }
        }
        return manager.create(values, e.shape());
    }

    private record Header(List<Entry> entries, long dataStart) {}

    private static Header header(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(file + ": not a safetensors file (" + size + " bytes)");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(lengthBytes, 0);
        long headerLength = lengthBytes.flip().getLong();
        if (headerLength <= 0 || headerLength > Math.min(size - 8, 100L << 20)) {
            throw new CheckpointException(file + ": not a safetensors file (header length " + headerLength + ")");
        }
        ByteBuffer json = ByteBuffer.allocate((int) headerLength);
        channel.read(json, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(json.array(), StandardCharsets.UTF_8));
        } catch (JacksonException ex) {
            throw new CheckpointException(file + ": not a safetensors file (header: " + ex.getOriginalMessage() + ")", ex);
        }
        long dataStart = 8 + headerLength;
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> t : root.properties()) {
            if (t.getKey().equals(METADATA)) {
                continue;
            }
            JsonNode node = t.getValue();
            String dtypeName = node.path("dtype").asString("");
            WeightsDtype dtype = WeightsDtype.ofSafetensors(dtypeName);
            if (dtype == null) {
                throw new CheckpointException(file + ": tensor " + t.getKey() + " has dtype '" + dtypeName
                        + "'; only F32, BF16 and F16 weights are supported");
            }
            long[] dims = new long[node.path("shape").size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = node.path("shape").get(i).asLong();
            }
            Shape shape = new Shape(dims);
            long begin = node.path("data_offsets").path(0).asLong(-1);
            long end = node.path("data_offsets").path(1).asLong(-1);
            if (begin < 0 || end - begin != shape.size() * dtype.bytes() || dataStart + end > size) {
                throw new CheckpointException(file + ": tensor " + t.getKey() + " has data_offsets [" + begin + ", " + end
                        + "] that do not fit its shape " + shape + " of " + dtypeName + " or the file");
            }
            entries.add(new Entry(t.getKey(), dtype, shape, begin, end));
        }
        return new Header(entries, dataStart);
    }
}

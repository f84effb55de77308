package dev.rlhf.trainer.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Named tensors to and from {@code .safetensors}, through DJL's NDList codec. */
public final class SafetensorsFiles {

    private SafetensorsFiles() {}

    /** Reads every tensor of a file as float32, by name, into {@code manager}. */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        NDList list;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            list = NDList.decode(manager, in);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": not a readable safetensors file (" + e.getMessage() + ")", e);
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (NDArray array : list) {
            String name = array.getName();
            NDArray asFloat = array.getDataType() == DataType.FLOAT32 ? array : array.toType(DataType.FLOAT32, false);
            if (asFloat != array) {
                array.close(); // bf16/f16 checkpoints: the model computes in float32
            }
            byName.put(name, asFloat);
        }
        return byName;
    }

    /** Writes named tensors (names taken from the map keys). */
    public static void write(Path file, Map<String, NDArray> tensors) throws IOException {
        NDList list = new NDList();
        tensors.forEach((name, array) -> {
            array.setName(name);
            list.add(array);
        });
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
            list.encode(out, NDList.Encoding.SAFETENSORS);
        }
    }
}

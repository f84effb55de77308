package dev.rlhf.trainer.model;

import java.util.Locale;

/**
 * The element types weights are stored in on disk. CPU computation is always float32; bfloat16 and
 * float16 are upcast exactly on load (every bf16 and f16 value is a float32 value) and rounded to
 * nearest-even on save, so a load-save round trip gives back the same bits.
 */
public enum WeightsDtype {
    F32("F32", "float32", 4),
    BF16("BF16", "bfloat16", 2),
    F16("F16", "float16", 2);

    private final String safetensorsName;
    private final String torchName;
    private final int bytes;

    WeightsDtype(String safetensorsName, String torchName, int bytes) {
        this.safetensorsName = safetensorsName;
        this.torchName = torchName;
        this.bytes = bytes;
    }

    /** The dtype string of a safetensors header ({@code F32}, {@code BF16}, {@code F16}). */
    public String safetensorsName() {
        return safetensorsName;
    }

    /** The name Hugging Face's {@code config.json} uses ({@code torch_dtype}). */
    public String torchName() {
        return torchName;
    }

    public int bytes() {
        return bytes;
    }

    /** A safetensors header dtype, or null when it is not one of these. */
    public static WeightsDtype ofSafetensors(String name) {
        for (WeightsDtype d : values()) {
            if (d.safetensorsName.equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** {@code f32|bf16|f16} (as {@code --save-dtype} takes them) or a torch name such as {@code bfloat16}. */
    public static WeightsDtype parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (WeightsDtype d : values()) {
            if (d.name().toLowerCase(Locale.ROOT).equals(t) || d.torchName.equals(t)) {
                return d;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of f32, bf16, f16");
    }

    /** float32 to bfloat16 bits, rounding to nearest even (NaN stays NaN). */
    public static short toBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** bfloat16 bits to float32, exactly. */
    public static float fromBfloat16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}

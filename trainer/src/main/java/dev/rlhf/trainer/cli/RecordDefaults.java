package dev.rlhf.trainer.cli;

import dev.rlhf.trainer.align.dpo.DpoConfig;
import dev.rlhf.trainer.align.kto.KtoConfig;
import dev.rlhf.trainer.align.ppo.PpoRunConfig;
import dev.rlhf.trainer.align.reward.RewardModelConfig;
import dev.rlhf.trainer.generation.GenerationConfig;
import dev.rlhf.trainer.serve.LoopConfig;
import dev.rlhf.trainer.sft.SftConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.ListResourceBundle;
import java.util.Locale;

/**
 * The config records' defaults as the resource bundle of the commands, so option descriptions show
 * them with {@code ${bundle:default.<Record>.<component>}} (nested records by path, e.g.
 * {@code default.SftConfig.lora.rank}) instead of restating them (and the one per-command option text,
 * generate's {@code --dtype}). Values read from each record's
 * {@code defaults()}; a null component reads "none". The {@code default.} prefix keeps these keys
 * apart from the option names picocli looks descriptions up by.
 */
public final class RecordDefaults extends ListResourceBundle {

    /** Base name of this bundle, for {@code @Command(resourceBundle = ...)}. */
    static final String BUNDLE = "dev.rlhf.trainer.cli.RecordDefaults";

    @Override
    protected Object[][] getContents() {
        List<Object[]> entries = new ArrayList<>();
        // PpoRunConfig holds PpoConfig (as "ppo"); LoopConfig holds serve's own copies of the others.
        for (Record defaults : List.of(PpoRunConfig.defaults(), PpoRunConfig.defaults().ppo(), SftConfig.defaults(),
                RewardModelConfig.defaults(), DpoConfig.defaults(), KtoConfig.defaults(), GenerationConfig.defaults(), LoopConfig.defaults())) {
            flatten("default." + defaults.getClass().getSimpleName(), defaults, entries);
        }
        // generate runs its model only, so its --dtype (the shared DtypeOption) says what bf16 means there; picocli
        // looks an option's description up by "<command path>.<option>" before the annotation's text.
        entries.add(new Object[] {"trainer.generate.dtype",
                "Compute precision: fp32 (default) or bf16 (GPU only: bf16 weights and matmuls, float32 norms and softmax)."});
        return entries.toArray(Object[][]::new);
    }

    private static void flatten(String prefix, Record record, List<Object[]> entries) {
        for (RecordComponent component : record.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + prefix + "." + component.getName(), e);
            }
            String key = prefix + "." + component.getName();
            if (value instanceof Record nested) {
                flatten(key, nested, entries);
            } else {
                entries.add(new Object[] {key, text(value)});
            }
        }
    }

    /** How a default reads in help: 2e-5 not 1.9999999E-5, k1 not K1, q_proj,v_proj not [q_proj, v_proj]. */
    static String text(Object value) {
        return switch (value) {
            case null -> "none";
            case Float f -> Preset.number(Double.parseDouble(Float.toString(f)));
            case Double d -> Preset.number(d);
            case Enum<?> e -> e.name().toLowerCase(Locale.ROOT);
            case Collection<?> c -> String.join(",", c.stream().map(RecordDefaults::text).toList());
            default -> value.toString();
        };
    }
}

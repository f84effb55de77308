package dev.rlhf.trainer.align.dpo;

import java.util.Locale;

/** The loss applied to the implicit reward margin h (names as TRL's {@code loss_type} and the CLI's {@code --loss}). */
public enum DpoLossType {
    /** DPO (Rafailov et al. 2023): -log sigmoid(beta h); with label smoothing, conservative DPO (cDPO). */
    SIGMOID,
    /** IPO (Azar et al. 2023): (h - 1 / (2 beta))^2, on length-averaged log-probabilities as TRL does. */
    IPO;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DpoLossType parse(String name) {
        for (DpoLossType type : values()) {
            if (type.cliName().equals(name.toLowerCase(Locale.ROOT))) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown DPO loss '" + name + "', expected sigmoid or ipo");
    }
}

package dev.rlhf.trainer.model;

/**
 * Shape of a Llama-style decoder. Field names follow llama2.c; {@code HuggingFaceCheckpoint} maps
 * them to and from the Hugging Face {@code LlamaConfig} names given below.
 *
 * @param dim            model width (HF {@code hidden_size})
 * @param hiddenDim      SwiGLU inner width (HF {@code intermediate_size})
 * @param nLayers        transformer blocks (HF {@code num_hidden_layers})
 * @param nHeads         query heads (HF {@code num_attention_heads})
 * @param nKvHeads       key/value heads; fewer than {@code nHeads} is grouped-query attention
 * @param vocabSize      token vocabulary size
 * @param maxSeqLen      longest context the rotary tables cover (HF {@code max_position_embeddings})
 * @param normEps        RMSNorm epsilon; 1e-5 as in llama2.c and Llama 2
 * @param ropeTheta      rotary base; 10000 as in the RoFormer paper and Llama 2
 * @param tiedEmbeddings whether the output head reuses the token embedding matrix
 */
public record LlamaConfig(
        int dim,
        int hiddenDim,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int vocabSize,
        int maxSeqLen,
        float normEps,
        float ropeTheta,
        boolean tiedEmbeddings) {

    public static final float DEFAULT_NORM_EPS = 1e-5f;
    public static final float DEFAULT_ROPE_THETA = 10000f;

    public LlamaConfig {
        require(dim > 0, "dim must be positive, got " + dim);
        require(hiddenDim > 0, "hiddenDim must be positive, got " + hiddenDim);
        require(nLayers > 0, "nLayers must be positive, got " + nLayers);
        require(nHeads > 0 && dim % nHeads == 0, "dim " + dim + " must be a multiple of nHeads " + nHeads);
        require(nKvHeads > 0 && nHeads % nKvHeads == 0,
                "nHeads " + nHeads + " must be a multiple of nKvHeads " + nKvHeads);
        require((dim / nHeads) % 2 == 0, "head size " + dim / nHeads + " must be even for rotary embedding");
        require(vocabSize > 0, "vocabSize must be positive, got " + vocabSize);
        require(maxSeqLen > 0, "maxSeqLen must be positive, got " + maxSeqLen);
        require(normEps > 0, "normEps must be positive, got " + normEps);
        require(ropeTheta > 0, "ropeTheta must be positive, got " + ropeTheta);
    }

    /** A config with the default norm epsilon and rotary base. */
    public static LlamaConfig of(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                                 int vocabSize, int maxSeqLen, boolean tiedEmbeddings) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen,
                DEFAULT_NORM_EPS, DEFAULT_ROPE_THETA, tiedEmbeddings);
    }

    public int headDim() {
        return dim / nHeads;
    }

    public int kvDim() {
        return nKvHeads * headDim();
    }

    /** Query heads that share one key/value head. */
    public int queriesPerKvHead() {
        return nHeads / nKvHeads;
    }

    /** Number of weights, the value head excluded. */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * kvDim() * dim + 3L * hiddenDim * dim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + nLayers * perLayer + dim;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + message);
        }
    }
}

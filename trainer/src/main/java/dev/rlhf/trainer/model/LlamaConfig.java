package dev.rlhf.trainer.model;

/**
 * Shape of a Llama-style decoder, covering the Llama 2/3, Mistral, SmolLM2, Qwen2/2.5 and Qwen3
 * families as options of one architecture. Field names follow llama2.c; {@code HuggingFaceCheckpoint}
 * maps them to and from the Hugging Face config names given below.
 *
 * @param dim            model width (HF {@code hidden_size})
 * @param hiddenDim      SwiGLU inner width (HF {@code intermediate_size})
 * @param nLayers        transformer blocks (HF {@code num_hidden_layers})
 * @param nHeads         query heads (HF {@code num_attention_heads})
 * @param nKvHeads       key/value heads; fewer than {@code nHeads} is grouped-query attention
 * @param vocabSize      token vocabulary size
 * @param maxSeqLen      longest context the rotary tables cover (HF {@code max_position_embeddings})
 * @param normEps        RMSNorm epsilon; 1e-5 as in llama2.c and Llama 2
 * @param ropeTheta      rotary base; 10000 as in the RoFormer paper and Llama 2 (5e5 Llama 3, 1e6 Qwen2/3)
 * @param tiedEmbeddings whether the output head reuses the token embedding matrix
 * @param headDim        width of one attention head; {@code dim / nHeads} except where a config says
 *                       otherwise (Qwen3: heads x headDim may differ from dim)
 * @param qkvBias        q/k/v projections carry a bias (Qwen2; Llama's {@code attention_bias})
 * @param outputBias     the attention output projection carries a bias (Llama's {@code attention_bias}; not Qwen2)
 * @param qkNorm         RMSNorm over each head of q and k before RoPE (Qwen3's {@code q_norm}/{@code k_norm})
 * @param ropeScaling    Llama 3.1's long-context frequency scaling, or null for plain RoPE
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
        boolean tiedEmbeddings,
        int headDim,
        boolean qkvBias,
        boolean outputBias,
        boolean qkNorm,
        Llama3RopeScaling ropeScaling) {

    public static final float DEFAULT_NORM_EPS = 1e-5f;
    public static final float DEFAULT_ROPE_THETA = 10000f;

    public LlamaConfig {
        require(dim > 0, "dim must be positive, got " + dim);
        require(hiddenDim > 0, "hiddenDim must be positive, got " + hiddenDim);
        require(nLayers > 0, "nLayers must be positive, got " + nLayers);
        require(nHeads > 0, "nHeads must be positive, got " + nHeads);
        require(nKvHeads > 0 && nHeads % nKvHeads == 0,
                "nHeads " + nHeads + " must be a multiple of nKvHeads " + nKvHeads);
        require(headDim > 0 && headDim % 2 == 0, "head size " + headDim + " must be positive and even for rotary embedding");
        require(vocabSize > 0, "vocabSize must be positive, got " + vocabSize);
        require(maxSeqLen > 0, "maxSeqLen must be positive, got " + maxSeqLen);
        require(normEps > 0, "normEps must be positive, got " + normEps);
        require(ropeTheta > 0, "ropeTheta must be positive, got " + ropeTheta);
    }

    /** A plain Llama 2 / llama2.c shape: head size {@code dim / nHeads}, no biases, no q/k norm, unscaled RoPE. */
    public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int maxSeqLen,
                       float normEps, float ropeTheta, boolean tiedEmbeddings) {
        this(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen, normEps, ropeTheta, tiedEmbeddings,
                derivedHeadDim(dim, nHeads), false, false, false, null);
    }

    /** A config with the default norm epsilon and rotary base. */
    public static LlamaConfig of(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads,
                                 int vocabSize, int maxSeqLen, boolean tiedEmbeddings) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, maxSeqLen,
                DEFAULT_NORM_EPS, DEFAULT_ROPE_THETA, tiedEmbeddings);
    }

    private static int derivedHeadDim(int dim, int nHeads) {
        require(nHeads > 0 && dim % nHeads == 0, "dim " + dim + " must be a multiple of nHeads " + nHeads);
        return dim / nHeads;
    }

    /** Width of all query heads together (rows of q_proj, columns of o_proj); equals dim unless headDim is explicit. */
    public int qDim() {
        return nHeads * headDim;
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    /** Query heads that share one key/value head. */
    public int queriesPerKvHead() {
        return nHeads / nKvHeads;
    }

    /**
     * Rotary inverse frequencies [headDim / 2], {@code 1 / theta^(2j / headDim)}, then Llama 3 scaling
     * when configured. float32 arithmetic, as transformers computes them.
     */
    public float[] ropeInverseFrequencies() {
        int half = headDim / 2;
        float[] inverse = new float[half];
        for (int j = 0; j < half; j++) {
            float exponent = (2.0f * j) / headDim;
            inverse[j] = 1.0f / (float) Math.pow(ropeTheta, exponent);
        }
        return ropeScaling == null ? inverse : ropeScaling.apply(inverse);
    }

    /** Number of weights, the value head excluded. */
    public long parameterCount() {
        long attention = (long) qDim() * dim + 2L * kvDim() * dim + (long) dim * qDim()
                + (qkvBias ? qDim() + 2L * kvDim() : 0) + (outputBias ? dim : 0) + (qkNorm ? 2L * headDim : 0);
        long perLayer = 2L * dim + attention + 3L * hiddenDim * dim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + nLayers * perLayer + dim;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + message);
        }
    }

    /**
     * Llama 3.1's {@code rope_scaling} of type {@code llama3}: frequencies whose wavelength exceeds
     * {@code originalMaxPositions / lowFreqFactor} are divided by {@code factor}, those shorter than
     * {@code originalMaxPositions / highFreqFactor} are kept, and the band between is interpolated
     * (transformers' {@code _compute_llama3_parameters}; its attention factor is 1).
     */
    public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {

        public Llama3RopeScaling {
            require(factor > 0, "rope_scaling.factor must be positive, got " + factor);
            require(highFreqFactor > lowFreqFactor, "rope_scaling.high_freq_factor " + highFreqFactor
                    + " must exceed low_freq_factor " + lowFreqFactor);
            require(originalMaxPositions > 0, "rope_scaling.original_max_position_embeddings must be positive");
        }

        float[] apply(float[] inverse) {
            float lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            float highFreqWavelen = originalMaxPositions / highFreqFactor;
            float[] scaled = new float[inverse.length];
            for (int j = 0; j < inverse.length; j++) {
                float wavelen = (float) (2 * Math.PI) / inverse[j];
                if (wavelen < highFreqWavelen) {
                    scaled[j] = inverse[j];
                } else if (wavelen > lowFreqWavelen) {
                    scaled[j] = inverse[j] / factor;
                } else {
                    float smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    scaled[j] = (1 - smooth) * inverse[j] / factor + smooth * inverse[j];
                }
            }
            return scaled;
        }
    }
}

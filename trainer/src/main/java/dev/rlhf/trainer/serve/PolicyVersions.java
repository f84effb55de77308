package dev.rlhf.trainer.serve;

import ai.djl.Device;
import dev.rlhf.trainer.checkpoint.LoadedModel;
import dev.rlhf.trainer.checkpoint.ModelLoader;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The loop's models and where they load: v0 is the SFT policy given with --model, v&lt;N&gt; a directory of
 * the state ({@link StateLayout}); all with one tokenizer, on one device.
 */
record PolicyVersions(StateLayout layout, Path tokenizer, Device device) {

    LoadedModel load(int version) throws IOException {
        return load(layout.policy(version));
    }

    LoadedModel sft() throws IOException {
        return load(layout.basePolicy());
    }

    LoadedModel load(Path weights) throws IOException {
        return ModelLoader.load(weights, tokenizer, device);
    }
}

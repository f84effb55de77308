package dev.rlhf.trainer.align.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Unpairing stored rankings into KTO's desirable/undesirable examples, per feedback mode, from the export lines the
 * feedback service writes; and the margins of ordered pairs those lines carry.
 */
class KtoExampleTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path temp;

    static RankedResponses line(String json) {
        return PreferenceFile.parse(JSON.readTree(json));
    }

    static final String RESPONSES = "\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"A\"},{\"id\":\"b\",\"text\":\"B\"},"
            + "{\"id\":\"c\",\"text\":\"C\"},{\"id\":\"d\",\"text\":\"D\"}]";

    @Test
    void aRankingGivesItsTopGroupAsDesirableAndItsBottomGroupAsUndesirable() {
        RankedResponses r = line("{" + RESPONSES + ",\"feedback_mode\":\"ranking\",\"ranking\":[[\"b\",\"d\"],[\"a\"],[\"c\"]]}");
        assertThat(KtoExample.unpaired(r)).containsExactly(new KtoExample("p", "B", true), new KtoExample("p", "D", true),
                new KtoExample("p", "C", false)); // "a" in the middle is skipped
        // a line without a mode (older stores, pairs lines) reads as a ranking
        assertThat(KtoExample.unpaired(RankedResponses.pair("p", "x", "y")))
                .containsExactly(new KtoExample("p", "x", true), new KtoExample("p", "y", false));
        // all tied: one group, nothing
        assertThat(KtoExample.unpaired(line("{" + RESPONSES + ",\"ranking\":[[\"a\",\"b\",\"c\",\"d\"]]}"))).isEmpty();
    }

    @Test
    void pairwiseUsesItsTieGroupsAndAnEvenChoiceGivesNothing() {
        String pair = "\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"A\"},{\"id\":\"b\",\"text\":\"B\"}]";
        RankedResponses better = line("{" + pair + ",\"feedback_mode\":\"pairwise\",\"strength\":2,\"ranking\":[[\"b\"],[\"a\"]]}");
        assertThat(KtoExample.unpaired(better)).containsExactly(new KtoExample("p", "B", true), new KtoExample("p", "A", false));
        assertThat(better.margin(1, 0)).hasValue(2.0);
        RankedResponses even = line("{" + pair + ",\"feedback_mode\":\"pairwise\",\"strength\":0,\"ranking\":[[\"a\",\"b\"]]}");
        assertThat(KtoExample.unpaired(even)).isEmpty();
    }

    @Test
    void ratingsAboveFourAreDesirableBelowFourUndesirableAndFourSkipped() {
        RankedResponses r = line("{" + RESPONSES + ",\"feedback_mode\":\"rating\",\"ratings\":{\"a\":5,\"b\":4,\"c\":3,\"d\":7},"
                + "\"ranking\":[[\"d\"],[\"a\"],[\"b\"],[\"c\"]]}");
        assertThat(KtoExample.unpaired(r)).containsExactly(new KtoExample("p", "A", true), new KtoExample("p", "C", false),
                new KtoExample("p", "D", true));
        assertThat(r.margin(3, 2)).hasValue(4.0); // rating(d) - rating(c) = 7 - 3
        assertThat(r.margin(0, 1)).hasValue(1.0); // 5 - 4
    }

    @Test
    void thumbsGiveOneLabelPerLabelledResponse() {
        RankedResponses r = line("{" + RESPONSES + ",\"feedback_mode\":\"binary\",\"labels\":{\"a\":true,\"b\":false,\"d\":false},"
                + "\"ranking\":[[\"a\"],[\"b\",\"d\"]]}");
        assertThat(KtoExample.unpaired(r)).containsExactly(new KtoExample("p", "A", true), new KtoExample("p", "B", false),
                new KtoExample("p", "D", false));
        assertThat(r.margin(0, 1)).isEmpty(); // binary: no margin
    }

    @Test
    void pairsLinesCarryTheirMarginAndBadFeedbackFieldsAreRejected() {
        assertThat(line("{\"prompt\":\"p\",\"chosen\":\"x\",\"rejected\":\"y\",\"margin\":1.5}").margin(0, 1)).hasValue(1.5);
        assertThat(line("{\"prompt\":\"p\",\"chosen\":\"x\",\"rejected\":\"y\"}").margin(0, 1)).isEmpty();
        assertThatThrownBy(() -> line("{\"prompt\":\"p\",\"chosen\":\"x\",\"rejected\":\"y\",\"margin\":\"big\"}"))
                .hasMessageContaining("\"margin\"");
        assertThatThrownBy(() -> line("{" + RESPONSES + ",\"ratings\":{\"a\":9},\"ranking\":[[\"a\"],[\"b\"]]}"))
                .hasMessageContaining("\"ratings\"");
        assertThatThrownBy(() -> line("{" + RESPONSES + ",\"labels\":{\"z\":true},\"ranking\":[[\"a\"],[\"b\"]]}"))
                .hasMessageContaining("not among");
        assertThatThrownBy(() -> line("{" + RESPONSES + ",\"feedback_mode\":\"stars\",\"ranking\":[[\"a\"],[\"b\"]]}"))
                .hasMessageContaining("feedback_mode");
    }

    @Test
    void theKtoFileReadsKtoLinesAndUnpairsRankingLines() throws Exception {
        Path file = temp.resolve("kto.jsonl");
        Files.write(file, List.of("{\"prompt\":\"q\",\"completion\":\"good\",\"label\":true,\"annotator\":\"ann\"}",
                "{" + RESPONSES + ",\"ranking\":[[\"a\"],[\"b\"]]}"));
        assertThat(KtoFile.read(file)).containsExactly(new KtoExample("q", "good", true), new KtoExample("p", "A", true),
                new KtoExample("p", "B", false));
        Files.write(file, List.of("{\"prompt\":\"q\",\"completion\":\"good\"}"));
        assertThatThrownBy(() -> KtoFile.read(file)).hasMessageContaining("line 1").hasMessageContaining("\"label\"");
    }
}

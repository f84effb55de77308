package dev.rlhf.feedback.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.rlhf.feedback.prompt.Turn;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class OasstTreesTest {

    private final JsonMapper json = JsonMapper.builder().build();

    /**
     * root (prompter)
     *  +- A1 rank 1 -> P1 (prompter) -> B1 rank 0, B2 rank 0 (a tie), B3 unranked
     *  +- A2 rank 0
     *  +- A3 unranked -> P2 (prompter) -> C1 rank 0, C2 rank 1
     *  P3 (prompter) under A2 with a single ranked reply: no group
     */
    private static final String TREE = """
            {"message_tree_id": "t1", "prompt": {"message_id": "root", "role": "prompter", "text": "Q", "replies": [
              {"message_id": "A1", "role": "assistant", "text": "a1", "rank": 1, "replies": [
                {"message_id": "P1", "role": "prompter", "text": "follow-up", "replies": [
                  {"message_id": "B1", "role": "assistant", "text": "b1", "rank": 0, "replies": []},
                  {"message_id": "B2", "role": "assistant", "text": "b2", "rank": 0, "replies": []},
                  {"message_id": "B3", "role": "assistant", "text": "b3", "replies": []}]}]},
              {"message_id": "A2", "role": "assistant", "text": "a2", "rank": 0, "replies": [
                {"message_id": "P3", "role": "prompter", "text": "alone", "replies": [
                  {"message_id": "D1", "role": "assistant", "text": "d1", "rank": 0, "replies": []}]}]},
              {"message_id": "A3", "role": "assistant", "text": "a3", "replies": [
                {"message_id": "P2", "role": "prompter", "text": "deeper", "replies": [
                  {"message_id": "C2", "role": "assistant", "text": "c2", "rank": 1},
                  {"message_id": "C1", "role": "assistant", "text": "c1", "rank": 0}]}]}]}}
            """;

    @Test
    void everyPrompterMessageWithTwoRankedAssistantRepliesIsAGroupWithItsPath() {
        List<OasstTrees.RankedGroup> groups = OasstTrees.rankedGroups(json.readTree(TREE));

        assertThat(groups).extracting(OasstTrees.RankedGroup::messageId).containsExactly("root", "P1", "P2");

        var root = groups.get(0);
        assertThat(root.conversation()).containsExactly(new Turn(Turn.USER, "Q"));
        assertThat(root.replies()).extracting(OasstTrees.RankedReply::messageId).containsExactly("A2", "A1");
        assertThat(root.rankingGroups()).containsExactly(List.of(0), List.of(1));

        var followUp = groups.get(1);
        assertThat(followUp.conversation()).containsExactly(new Turn(Turn.USER, "Q"), new Turn(Turn.ASSISTANT, "a1"),
                new Turn(Turn.USER, "follow-up"));
        // B3 has no rank: left out; B1 and B2 share rank 0: one tie group, which gives no pair.
        assertThat(followUp.replies()).extracting(OasstTrees.RankedReply::text).containsExactly("b1", "b2");
        assertThat(followUp.rankingGroups()).containsExactly(List.of(0, 1));

        var deeper = groups.get(2);
        assertThat(deeper.conversation()).extracting(Turn::content).containsExactly("Q", "a3", "deeper");
        assertThat(deeper.replies()).extracting(OasstTrees.RankedReply::text).containsExactly("c1", "c2");
    }

    @Test
    void identicalRankedRepliesAreOneResponseAtTheBestRank() {
        JsonNode tree = json.readTree("""
                {"prompt": {"role": "prompter", "text": "Q", "replies": [
                  {"role": "assistant", "text": "same", "rank": 2}, {"role": "assistant", "text": "other", "rank": 1},
                  {"role": "assistant", "text": "same", "rank": 0}]}}""");
        var group = OasstTrees.rankedGroups(tree).getFirst();
        assertThat(group.replies()).extracting(OasstTrees.RankedReply::text).containsExactly("same", "other");
        assertThat(group.rankingGroups()).containsExactly(List.of(0), List.of(1));
    }

    @Test
    void malformedMessagesNameTheirPath() {
        assertThatThrownBy(() -> OasstTrees.rankedGroups(json.readTree("{\"message_tree_id\": \"x\"}")))
                .hasMessageStartingWith("\"prompt\" is missing");
        assertThatThrownBy(() -> OasstTrees.rankedGroups(json.readTree("""
                {"prompt": {"role": "prompter", "text": "Q", "replies": [{"role": "assistant", "rank": 0}]}}""")))
                .hasMessage("\"prompt.replies[0].text\" is missing");
        assertThatThrownBy(() -> OasstTrees.rankedGroups(json.readTree("""
                {"prompt": {"role": "moderator", "text": "Q"}}""")))
                .hasMessage("\"prompt.role\" must be prompter or assistant, not \"moderator\"");
        assertThatThrownBy(() -> OasstTrees.rankedGroups(json.readTree("""
                {"prompt": {"role": "prompter", "text": "Q", "replies": [{"role": "assistant", "text": "a", "rank": "first"}]}}""")))
                .hasMessage("\"prompt.replies[0].rank\" must be a whole number >= 0");
    }
}

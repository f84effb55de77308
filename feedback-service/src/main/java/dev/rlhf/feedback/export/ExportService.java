package dev.rlhf.feedback.export;

import java.io.OutputStream;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import dev.rlhf.feedback.consensus.ConsensusSupport;
import dev.rlhf.feedback.consensus.GradedConsensus;
import dev.rlhf.schemas.ranking.FeedbackMode;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Streams a project's export as NDJSON: rows come from a database cursor prompt by prompt and each
 * line is written to the output as soon as its prompt is complete, so memory stays bounded by one
 * prompt whatever the dataset's size.
 */
@Service
public class ExportService {

    private static final Logger log = LoggerFactory.getLogger(ExportService.class);

    private final ExportRepository repository;
    private final JsonMapper json;
    private final TransactionTemplate readOnly;

    public ExportService(ExportRepository repository, JsonMapper json, PlatformTransactionManager transactions) {
        this.repository = repository;
        this.json = json;
        this.readOnly = new TransactionTemplate(transactions);
        // A PostgreSQL cursor needs autocommit off: the whole read runs in one read-only transaction.
        this.readOnly.setReadOnly(true);
    }

    /** Writes every line of the export to {@code out} (not closed) and returns how many lines. */
    public long export(ExportRequest request, OutputStream out) {
        long started = System.nanoTime();
        JsonGenerator generator = json.writer().withRootValueSeparator("\n").createGenerator(out);
        ExportLineWriter writer = new ExportLineWriter(generator, request);
        readOnly.executeWithoutResult(status -> repository.streamPromptGroups(request, group -> {
            if (keep(group, request)) {
                writer.write(group, request.needsConsensus() ? consensusOf(group) : null);
            }
        }));
        if (writer.lines() > 0) {
            generator.writeRaw('\n');
        }
        generator.flush();
        double seconds = (System.nanoTime() - started) / 1e9;
        log.info("Exported {} {} lines of project {} in {} s", writer.lines(), request.format().id(), request.projectId(),
                String.format("%.2f", seconds));
        return writer.lines();
    }

    /** Applies the per-ranking policy filter in place, then the per-prompt agreement filter. */
    private static boolean keep(PromptGroup group, ExportRequest request) {
        if (request.policyVersion() != null) {
            group.rankings.removeIf(r -> r.groups().stream().flatMap(List::stream)
                    .map(group.responses::get)
                    .noneMatch(resp -> resp != null && request.policyVersion().equals(resp.policyVersion())));
        }
        if (group.rankings.isEmpty()) {
            return false;
        }
        if (request.minAgreement() != null) {
            Double agreement = consensusOf(group).support().orNull();
            return agreement != null && agreement >= request.minAgreement();
        }
        return true;
    }

    /**
     * The prompt's consensus in the mode of its graded rankings ({@link GradedConsensus}): the mode of the first
     * ranking that carries grades, else ranking (imports and rankings from before the project graded carry none).
     */
    private static ExportLineWriter.Consensus consensusOf(PromptGroup group) {
        List<List<List<UUID>>> rankings = group.rankingGroups();
        FeedbackMode mode = group.rankings.stream().map(r -> r.grades().mode()).filter(m -> m != FeedbackMode.RANKING).findFirst()
                .orElse(FeedbackMode.RANKING);
        GradedConsensus.Result<UUID> consensus = GradedConsensus.of(mode, group.rankings.stream()
                .map(r -> new GradedConsensus.Judgement<>(r.groups(), r.grades().strength(), r.grades().ratings(), r.grades().labels()))
                .toList());
        return new ExportLineWriter.Consensus(consensus.ranking(), ConsensusSupport.ofConsensus(rankings, consensus.ranking()), mode, consensus);
    }
}

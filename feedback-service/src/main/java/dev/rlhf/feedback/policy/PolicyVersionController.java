package dev.rlhf.feedback.policy;

import java.util.UUID;

import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/projects/{projectId}/policy-versions}: the policy versions whose samples the
 * project holds or that the trainer reported on, each with its health and promotion, each version's
 * win rate against the one before it, Bradley-Terry ratings with 95% intervals from human rankings,
 * and the trainer loop's status; admins only, like the stats. Scripts watching the closed loop read
 * whether a round made the model better.
 */
@RestController
public class PolicyVersionController {

    private final PolicyVersionService versions;

    public PolicyVersionController(PolicyVersionService versions) {
        this.versions = versions;
    }

    @GetMapping("/api/v1/projects/{projectId}/policy-versions")
    @PreAuthorize("hasRole('ADMIN')")
    public PolicyVersionService.Report versions(@PathVariable UUID projectId) {
        return versions.report(projectId);
    }
}

package dev.rlhf.feedback.annotator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.api.Inputs;

/**
 * API tokens for scripts and services: a random 32-byte secret shown once at creation; only its
 * SHA-256 is stored, so a leaked database does not leak usable tokens.
 */
@Service
public class ApiTokenService {

    private static final String PREFIX = "rlhf_";
    /**
     * How long {@link #accountOf} may answer from memory. API clients send their token with every
     * request; this saves a query per request. A revocation in this process takes effect at once (the
     * memory is cleared); one made by another instance sharing the database within this time.
     */
    static final Duration ACCOUNT_CACHE_TTL = Duration.ofSeconds(2);
    /** Bound on remembered tokens; beyond it the memory starts afresh. */
    private static final int ACCOUNT_CACHE_MAX = 10_000;

    private final JdbcClient jdbc;
    private final AnnotatorRepository annotators;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, CachedAccount> accounts = new ConcurrentHashMap<>();

    private record CachedAccount(Annotator account, long readAtNanos) {
    }

    public ApiTokenService(JdbcClient jdbc, AnnotatorRepository annotators) {
        this.jdbc = jdbc;
        this.annotators = annotators;
    }

    /** The width of {@code api_tokens.name}. */
    public static final int MAX_NAME_CHARS = 100;

    /** Creates a token for the account and returns its secret (the only time it is visible). */
    public String create(UUID annotatorId, String name) {
        Inputs.requiredText("name", name, MAX_NAME_CHARS);
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        jdbc.sql("INSERT INTO api_tokens (id, annotator_id, name, token_hash) VALUES (?, ?, ?, ?)")
                .params(UUID.randomUUID(), annotatorId, name, hash(token)).update();
        return token;
    }

    /** The username owning a valid, unrevoked token. */
    public Optional<String> ownerOf(String token) {
        return jdbc.sql("""
                        SELECT a.username FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id
                        WHERE t.token_hash = ? AND t.revoked_at IS NULL""")
                .param(hash(token)).query(String.class).optional();
    }

    /** The account owning a valid, unrevoked token: one query, or none when it was read within {@link #ACCOUNT_CACHE_TTL}. */
    public Optional<Annotator> accountOf(String token) {
        String tokenHash = hash(token);
        long now = System.nanoTime();
        CachedAccount cached = accounts.get(tokenHash);
        if (cached != null && now - cached.readAtNanos() < ACCOUNT_CACHE_TTL.toNanos()) {
            return Optional.of(cached.account());
        }
        Optional<Annotator> account = annotators.findByApiTokenHash(tokenHash);
        if (account.isPresent()) {
            if (accounts.size() >= ACCOUNT_CACHE_MAX) {
                accounts.clear();
            }
            accounts.put(tokenHash, new CachedAccount(account.get(), now));
        } else {
            accounts.remove(tokenHash);
        }
        return account;
    }

    public void revoke(UUID tokenId) {
        jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND revoked_at IS NULL").param(tokenId).update();
        // Only hashes are remembered, not token ids: forget them all (revocations are rare).
        accounts.clear();
    }

    /** A token as its owner sees it later: never the secret. */
    public record ApiToken(UUID id, String name, Instant createdAt, Instant revokedAt) {

        public boolean active() {
            return revokedAt == null;
        }
    }

    /** The account's tokens, newest first, revoked ones included. */
    public List<ApiToken> list(UUID annotatorId) {
        return jdbc.sql("SELECT id, name, created_at, revoked_at FROM api_tokens WHERE annotator_id = ? ORDER BY created_at DESC, name")
                .param(annotatorId)
                .query((rs, row) -> new ApiToken(rs.getObject("id", UUID.class), rs.getString("name"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                        rs.getObject("revoked_at", OffsetDateTime.class) == null ? null
                                : rs.getObject("revoked_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    /** Revokes one of the account's own tokens; answers false when it has no such active token. */
    public boolean revoke(UUID annotatorId, UUID tokenId) {
        boolean revoked = jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND annotator_id = ? AND revoked_at IS NULL")
                .params(tokenId, annotatorId).update() == 1;
        accounts.clear();
        return revoked;
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.rlhf.annotation.account;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.grid.Grid;
import com.vaadin.flow.component.html.Paragraph;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.IntegerField;
import com.vaadin.flow.component.textfield.TextField;

import dev.rlhf.annotation.admin.ProjectsView;
import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.annotator.ApiTokenService.ApiToken;
import dev.rlhf.feedback.annotator.CredentialsProperties;
import dev.rlhf.feedback.api.ApiException;

/**
 * API tokens: create one for the logged-in account (its secret shown once, in a dialog), list and
 * revoke. On an admin's accounts screen it lists every account's tokens, which the admin may revoke.
 */
public class TokensPanel extends VerticalLayout {

    public final TextField tokenName = new TextField("Token name");
    public final IntegerField expiresInDays = new IntegerField("Expires in (days)");
    public final Button createToken = new Button("Create API token");
    public final Grid<ApiToken> tokens = new Grid<>();
    public final Span tokenError = new Span();
    /** The dialog showing the last new token's secret, while it is open. */
    public Dialog tokenDialog;

    private final ApiTokenService apiTokens;
    private final Annotator me;
    private final boolean allAccounts;

    public TokensPanel(ApiTokenService apiTokens, CredentialsProperties.Tokens limits, Annotator me, boolean allAccounts) {
        this.apiTokens = apiTokens;
        this.me = me;
        this.allAccounts = allAccounts;
        setPadding(false);

        tokenName.setId("token-name");
        tokenName.setPlaceholder("e.g. trainer, ci");
        tokenName.setMaxLength(ApiTokenService.MAX_NAME_CHARS);
        expiresInDays.setId("token-days");
        expiresInDays.setMin(1);
        expiresInDays.setMax(limits.maxExpiryDays());
        expiresInDays.setValue(limits.defaultExpiryDays());
        expiresInDays.setStepButtonsVisible(true);
        createToken.setId("token-create");
        createToken.addClickListener(e -> createToken());
        tokenError.setId("token-error");
        tokenError.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        tokens.setId("tokens");
        tokens.addColumn(ApiToken::name).setHeader("Name").setFlexGrow(2);
        if (allAccounts) {
            tokens.addColumn(ApiToken::username).setHeader("Account");
        }
        tokens.addColumn(t -> ProjectsView.TIME.format(t.createdAt())).setHeader("Created");
        tokens.addColumn(t -> t.expiresAt() == null ? "" : ProjectsView.TIME.format(t.expiresAt())).setHeader("Expires");
        tokens.addColumn(t -> t.revokedAt() != null ? "revoked " + ProjectsView.TIME.format(t.revokedAt()) : t.status())
                .setHeader("Status");
        tokens.addComponentColumn(t -> {
            Button revoke = new Button("Revoke", e -> revoke(t));
            revoke.addThemeVariants(ButtonVariant.SMALL, ButtonVariant.ERROR);
            revoke.setEnabled(t.active());
            return revoke;
        }).setHeader("");
        tokens.setAllRowsVisible(true);
        HorizontalLayout form = new HorizontalLayout(tokenName, expiresInDays, createToken);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        form.setWrap(true);
        add(new Paragraph("For scripts and services: send it as Authorization: Bearer <token>. It acts as " + me.username()
                + " until it expires or is revoked."), form, tokenError, tokens);
        refresh();
    }

    public void refresh() {
        tokens.setItems(allAccounts ? apiTokens.listAll() : apiTokens.list(me.id()));
    }

    void createToken() {
        String name = tokenName.getValue().isBlank() ? "token" : tokenName.getValue().strip();
        try {
            var issued = apiTokens.issue(me.id(), name, expiresInDays.getValue());
            tokenError.setText("");
            tokenName.setInvalid(false);
            tokenName.clear();
            refresh();
            tokenDialog = secretDialog(issued.name(), issued.token(), issued.expiresAt());
            tokenDialog.open();
        } catch (ApiException rejected) {
            // A name the service refuses (too long, a NUL, an unpaired surrogate) is marked on its field.
            if ("name".equals(rejected.field())) {
                tokenName.setErrorMessage(rejected.getMessage());
                tokenName.setInvalid(true);
                tokenError.setText("");
            } else {
                tokenError.setText(rejected.getMessage());
            }
        }
    }

    void revoke(ApiToken token) {
        if (allAccounts) {
            apiTokens.revoke(token.id());
        } else {
            apiTokens.revoke(me.id(), token.id());
        }
        refresh();
    }

    /** The only place the secret ever appears; closing the dialog drops it. */
    private Dialog secretDialog(String name, String secret, java.time.Instant expiresAt) {
        Dialog dialog = new Dialog();
        dialog.setHeaderTitle("API token '" + name + "'");
        TextField value = new TextField();
        value.setId("token-secret");
        value.setValue(secret);
        value.setReadOnly(true);
        value.setWidth("36rem");
        value.getElement().executeJs("this.addEventListener('focus', () => this.inputElement.select())");
        Button close = new Button("Done", e -> {
            dialog.close();
            tokenDialog = null;
        });
        close.setId("token-dialog-close");
        dialog.add(new Paragraph("Copy it now (select it and press Ctrl+C): it is shown only this once and cannot be read back later."
                + " It expires " + ProjectsView.TIME.format(expiresAt) + "."), value);
        dialog.getFooter().add(close);
        dialog.addOpenedChangeListener(e -> {
            if (!e.isOpened()) {
                dialog.removeAll();
            }
        });
        return dialog;
    }
}

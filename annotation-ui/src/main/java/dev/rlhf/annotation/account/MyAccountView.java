package dev.rlhf.annotation.account;

import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.H2;
import com.vaadin.flow.component.html.H3;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.notification.Notification;
import com.vaadin.flow.component.orderedlayout.FlexComponent;
import com.vaadin.flow.component.orderedlayout.HorizontalLayout;
import com.vaadin.flow.component.orderedlayout.VerticalLayout;
import com.vaadin.flow.component.textfield.PasswordField;
import com.vaadin.flow.router.PageTitle;
import com.vaadin.flow.router.Route;
import com.vaadin.flow.spring.security.AuthenticationContext;

import dev.rlhf.feedback.annotator.Annotator;
import dev.rlhf.feedback.annotator.AnnotatorService;
import dev.rlhf.feedback.annotator.ApiTokenService;
import dev.rlhf.feedback.annotator.CredentialsProperties;
import dev.rlhf.feedback.api.ApiException;
import jakarta.annotation.security.PermitAll;

/**
 * Everyone's own account: change the password (the current one is needed; afterwards every session
 * of the account ends, this one included, and its API tokens are revoked) and the account's own API
 * tokens (create with a lifetime, list, revoke).
 */
@Route("account")
@PageTitle("My account")
@PermitAll
public class MyAccountView extends VerticalLayout {

    final PasswordField currentPassword = new PasswordField("Current password");
    final PasswordField newPassword = new PasswordField("New password");
    final PasswordField repeatPassword = new PasswordField("New password again");
    final Button changePassword = new Button("Change password");
    final Span passwordError = new Span();
    final TokensPanel tokenPanel;

    private final AnnotatorService annotators;
    private final AuthenticationContext auth;
    private final Annotator me;

    public MyAccountView(AnnotatorService annotators, ApiTokenService apiTokens, CredentialsProperties credentials,
                         AuthenticationContext auth) {
        this.annotators = annotators;
        this.auth = auth;
        this.me = annotators.byUsername(auth.getPrincipalName().orElseThrow());
        this.tokenPanel = new TokensPanel(apiTokens, credentials.tokens(), me, false);

        currentPassword.setId("current-password");
        newPassword.setId("new-password");
        newPassword.setHelperText("At least " + annotators.minPasswordLength()
                + " characters; not containing your username; not a common password");
        repeatPassword.setId("repeat-password");
        changePassword.setId("change-password");
        changePassword.addThemeVariants(ButtonVariant.PRIMARY);
        changePassword.addClickListener(e -> changePassword());
        passwordError.setId("password-error");
        passwordError.getStyle().set("color", "var(--vaadin-text-color-error, var(--lumo-error-text-color, #c00))");
        HorizontalLayout form = new HorizontalLayout(currentPassword, newPassword, repeatPassword, changePassword);
        form.setAlignItems(FlexComponent.Alignment.BASELINE);
        form.setWrap(true);

        add(new H2("My account: " + me.username()), new H3("Password"), form, passwordError, new H3("My API tokens"), tokenPanel);
    }

    void changePassword() {
        if (!newPassword.getValue().equals(repeatPassword.getValue())) {
            passwordError.setText("The two new passwords differ");
            return;
        }
        try {
            // Throttled as logins are, by the account and the browser's address.
            var request = com.vaadin.flow.server.VaadinRequest.getCurrent();
            annotators.changeOwnPassword(me.id(), currentPassword.getValue(), newPassword.getValue(),
                    request == null ? null : request.getRemoteAddr());
        } catch (ApiException rejected) {
            passwordError.setText(rejected.getMessage());
            return;
        }
        passwordError.setText("");
        Notification.show("Password changed; log in again with the new one");
        // Every session of the account ends (the credentials version changed), this one too.
        auth.logout();
    }
}

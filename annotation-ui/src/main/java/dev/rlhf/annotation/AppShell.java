package dev.rlhf.annotation;

import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.component.page.AppShellConfigurator;
import com.vaadin.flow.component.page.Push;
import com.vaadin.flow.theme.aura.Aura;

/** Page-wide settings of the UI: Vaadin's Aura theme; server push for live dashboards. */
@StyleSheet(Aura.STYLESHEET)
@Push
public class AppShell implements AppShellConfigurator {
}

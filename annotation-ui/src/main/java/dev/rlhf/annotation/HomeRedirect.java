package dev.rlhf.annotation;

import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.Route;

import dev.rlhf.annotation.dashboard.DashboardView;
import jakarta.annotation.security.PermitAll;

/** The root URL shows the training dashboard until the annotator home exists. */
@Route("")
@PermitAll
public class HomeRedirect extends Div implements BeforeEnterObserver {
    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        event.forwardTo(DashboardView.class);
    }
}

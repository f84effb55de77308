package dev.rlhf.annotation.status;

import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.router.BeforeEnterEvent;
import com.vaadin.flow.router.BeforeEnterObserver;
import com.vaadin.flow.router.Route;

/** The root URL shows the status screen until the annotator home exists. */
@Route("")
public class HomeRedirect extends Div implements BeforeEnterObserver {
    @Override
    public void beforeEnter(BeforeEnterEvent event) {
        event.forwardTo(StatusView.class);
    }
}

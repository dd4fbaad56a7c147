"""The training page's live sections: the race's charts, your drawing's answers, the symbol lesson."""

from __future__ import annotations

import streamlit as st

from figures import digits as digit_figures
from figures import live as fig
from figures.palette import MODEL_COLOURS, PRETRAINED_COLOUR
from models.checkpoint import WeightsError
from ui import charts, live, resources
from ui.inputs import CANVAS_SIZE, PROMPT_ICON, TRAIN_DRAW_PROMPT

# Shown while no run exists; in markdown, so the page reads "Press Start to train ..." with Start in bold.
START_PROMPT = "Press **Start** to train from random weights, or **One step** to take a single step."


def pretrained_note() -> str:
    """The caption's " (99.7% on MNIST)": the pretrained CNN's test accuracy, from its manifest; empty without one."""
    try:
        accuracy = resources.digit_model("cnn")[1]["metrics"]["mnist_test_accuracy"]
    except (WeightsError, KeyError):
        return ""
    return f" ({accuracy:.1%} on MNIST)"


def live_charts(was_busy: bool, data) -> None:
    """The race's status, learning curves, first-layer filters, rows read and mistakes; `data` is
    ui.live.data()'s MNIST subset. Called in a fragment that polls while the run is busy."""
    worker = live.run_worker()
    st.caption(fig.pool_line(live.pool().load()))
    if worker is None:
        st.info(START_PROMPT)
        return
    if was_busy and not worker.busy:
        st.rerun()  # the run paused or ended on its own: redraw the buttons and stop polling
    view = worker.job.view()
    status = worker.status()
    level, sentence = fig.run_status(status, view.steps, view.cpu_seconds, view.max_seconds, view.config.max_steps,
                                     view.config.max_seconds, view.shortened_for)  # fmt: skip
    getattr(st, level)(sentence)
    learners = view.learners
    for column, (kind, learner) in zip(st.columns(len(learners)), learners.items(), strict=True):
        evaluation = learner.evaluation
        column.metric(
            f"{fig.SHORT_NAMES[kind]}: held-out accuracy",
            "diverged" if learner.divergence else "—" if evaluation is None else f"{evaluation.accuracy:.1%}",
            delta=f"{learner.examples:,} examples, {learner.seconds:.1f} s CPU, {learner.parameters:,} weights",
            delta_color="off",
            delta_arrow="off",
        )
    charts.show(
        fig.learning_curves(learners),
        "train_curves",
        fig.curves_caption(learners, len(data.heldout_labels), view.config.learning_rate),
    )
    cnn, rnn = learners.get("cnn"), learners.get("rnn")
    if cnn is not None and cnn.picture is not None:
        st.subheader("The CNN's first layer, learning")
        picture = cnn.picture
        charts.show(fig.filters_then_and_now(cnn.initial_filters, picture.filters, picture.step), "train_filters_now")
        drift_col, maps_col = st.columns(2)
        charts.show(
            fig.filter_drift_bars(picture.filter_cosine, picture.filter_change),
            "train_drift",
            fig.filter_drift_caption(picture.filter_cosine, picture.filter_change, picture.step),
            drift_col,
        )
        charts.show(
            digit_figures.feature_map_grid(picture.fixed_maps, "conv1"),
            "train_maps",
            f"Held-out digit {int(data.heldout_labels[data.fixed_index])}, always the same one, through conv1 as it "
            "is now. " + digit_figures.feature_map_caption(picture.fixed_maps, "conv1"),
            maps_col,
        )
    if rnn is not None and rnn.evaluation is not None:
        st.subheader("The RNN, row by row")
        charts.show(
            fig.rows_accuracy(rnn.evaluation.rows_accuracy),
            "train_rows",
            fig.rows_accuracy_caption(rnn.evaluation.rows_accuracy),
        )
    scored = {kind: learner for kind, learner in learners.items() if learner.evaluation is not None}
    if scored:
        st.subheader("What each still gets wrong")
        digits = [str(d) for d in range(10)]
        for column, (kind, learner) in zip(st.columns(len(scored)), scored.items(), strict=True):
            evaluation, name = learner.evaluation, fig.SHORT_NAMES[kind]
            charts.show(
                fig.confusion_matrix(evaluation.confusion, digits, digits, f"{name}: held-out confusion",
                                     MODEL_COLOURS[kind]),
                f"train_confusion_{kind}",
                fig.confusion_caption(evaluation.confusion, digits, digits, name),
                column,
            )  # fmt: skip
            wrong_total = int(evaluation.confusion.sum() - evaluation.confusion.trace())
            if len(evaluation.wrong):
                charts.show(
                    fig.mistakes(data.heldout_images[evaluation.wrong, 0].numpy(),
                                 data.heldout_labels[evaluation.wrong].numpy(), evaluation.wrong_predictions, name),
                    f"train_wrong_{kind}",
                    fig.mistakes_caption(data.heldout_labels[evaluation.wrong].numpy(), evaluation.wrong_predictions,
                                         wrong_total, name),
                    column,
                )  # fmt: skip
            else:
                column.success(fig.mistakes_caption([], [], wrong_total, name))


# Redrawn when you draw, not on a timer: one polling fragment per page. Two, each asking twice a second, queue
# behind each other on a busy server, and Streamlit's page can then lose its place and go blank.
@st.fragment
def canvas_answers() -> None:
    image28 = live.prepared(st.session_state.get("train_drawing"))
    if image28 is None:
        st.info(TRAIN_DRAW_PROMPT, icon=PROMPT_ICON)
        return
    view = live.run_view()
    models, names, colours = {}, {}, {}
    for kind, learner in (view.learners if view is not None else {}).items():
        if learner.evaluation is not None and learner.divergence is None:
            models[kind] = learner.evaluation.model
            names[kind] = f"your {fig.SHORT_NAMES[kind]} (step {learner.evaluation.step:,})"
            colours[kind] = MODEL_COLOURS[kind]
    try:
        models["pretrained"] = resources.digit_model("cnn")[0]
        names["pretrained"], colours["pretrained"] = "the pretrained CNN", PRETRAINED_COLOUR
    except WeightsError as error:
        st.warning(str(error))
    if view is None or len(models) == ("pretrained" in models):
        st.caption("Train a model above to see what it makes of your drawing.")
    if models:
        probabilities = live.predictions(image28, models)
        charts.show(fig.prediction_bars(probabilities, names, colours), "train_predictions",
                    fig.prediction_caption(probabilities, names))  # fmt: skip


def lesson_charts(was_busy: bool, data) -> None:
    """The symbol lesson's status, scores, confusion and curve, and the CNN's answer for the symbol canvas.
    Called in a fragment that polls while the lesson is busy."""
    worker = live.lesson_worker()
    if worker is None:
        return
    if was_busy and not worker.busy:
        st.rerun()
    view = worker.job.view()
    level, sentence = fig.lesson_status(worker.status(), view)
    getattr(st, level)(sentence)
    if view.classifier is None:
        return
    scores_col, confusion_col = st.columns(2)
    charts.show(
        fig.symbol_scores(view.names, view.per_symbol_accuracy, view.mnist_accuracy),
        "train_symbol_scores",
        fig.symbol_scores_caption(view.names, view.per_symbol_accuracy, view.heldback_counts, view.mnist_accuracy,
                                  len(data.heldout_labels)),
        scores_col,
    )  # fmt: skip
    columns = [*view.names, "a digit"]
    charts.show(
        fig.confusion_matrix(view.confusion, list(view.names), columns, "Held-back drawings: confusion",
                             MODEL_COLOURS["cnn"]),
        "train_symbol_confusion",
        fig.confusion_caption(view.confusion, list(view.names), columns, "CNN"),
        confusion_col,
    )  # fmt: skip
    charts.show(fig.lesson_curve(view.curve), "train_lesson_curve", fig.lesson_curve_caption(view.curve))
    image28 = live.prepared(st.session_state.get("train_sym_drawing"))
    if image28 is None:
        st.info(f"✏️ Draw on the canvas above ({CANVAS_SIZE}×{CANVAS_SIZE}) to test: a digit or one of your symbols.")
        return
    probs = view.classifier.probabilities(image28)
    labels = view.classifier.labels
    top = int(probs.argmax())
    st.metric("The CNN says", labels[top], delta=f"{probs[top]:.0%} confident", delta_color="off", delta_arrow="off")
    charts.show(fig.symbol_prediction_bars(labels, probs, len(view.names)), "train_symbol_prediction",
                "Probabilities, highest first: " + ", ".join(f"{labels[i]}: {probs[i]:.1%}"
                                                             for i in probs.argsort()[::-1][:3]) + ".")  # fmt: skip

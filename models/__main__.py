"""Command-line access to the models, printing JSON on stdout.

python -m models ner "Angela Merkel visited Paris."    # entities: text, label, start, end, score
echo "some text" | python -m models ner -              # text from stdin
python -m models ner "Angela Merkel visited Paris." --explain 1 [--model cnn]
    # why token 1 (0-based, over the whole text) got its label: integrated gradients and occlusion, one JSON object

python -m models speller "networc"                            # suggestions and next-letter distributions
python -m models speller --text "Thanks four the help."         # flags in a sentence, read in context
python -m models speller --text "Thanks four the help." --no-context   # the same without the RNN

python -m models pen --strokes drawing.json   # {"width", "height", "strokes": [[[x, y], ...], ...]}, canvas pixels
    # the pen GRU's guess after every point beside the CNN's answer on the same strokes rendered
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m models", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    ner = commands.add_parser("ner", help="named entities in a text, as a JSON list")
    ner.add_argument("text", help="the text to tag, or - to read it from stdin")
    ner.add_argument("--model", default="bilstm", help="which NER model (default: bilstm)")
    ner.add_argument("--tokens", action="store_true", help="print tokens, tags and offsets too (default: off)")
    ner.add_argument(
        "--explain",
        type=int,
        metavar="N",
        help="explain token N (0-based, over the whole text) instead: integrated gradients and occlusion",
    )
    speller = commands.add_parser("speller", help="spelling suggestions and the char-RNN's next-letter guesses")
    speller.add_argument("word", nargs="?", help="one word to correct on its own")
    speller.add_argument("--text", help="a sentence or paragraph to check, in context (- reads stdin)")
    speller.add_argument("--no-context", action="store_true", help="with --text: leave the RNN out (default: off)")
    speller.add_argument("-k", type=int, default=5, help="how many suggestions (default: 5)")
    pen = commands.add_parser("pen", help="the pen GRU and the CNN read one drawing's strokes")
    pen.add_argument("--strokes", required=True, help='a JSON file {"width", "height", "strokes"}, or - for stdin')
    args = parser.parse_args(argv)

    from models.checkpoint import WeightsError

    if args.command == "pen":
        print(json.dumps(pen_json(args.strokes)))
        return

    if args.command == "speller":
        from models.speller.cli import text_json, word_json

        if (args.word is None) == (args.text is None):
            parser.error("speller takes either a WORD or --text TEXT")
        try:
            if args.text is not None:
                text = sys.stdin.read() if args.text == "-" else args.text
                print(json.dumps(text_json(text, context=not args.no_context, k=args.k), ensure_ascii=False))
            else:
                print(json.dumps(word_json(args.word, k=args.k), ensure_ascii=False))
        except WeightsError as exc:
            print(json.dumps({"error": str(exc)}))
            sys.exit(1)
        return

    if args.command == "ner":
        from models.ner import load_tagger, tag

        text = sys.stdin.read() if args.text == "-" else args.text
        try:
            model, _ = load_tagger(args.model)
        except (WeightsError, ValueError) as exc:
            print(json.dumps({"error": str(exc)}))
            sys.exit(1)
        tagged = tag(model, text)
        if args.explain is not None:
            from models.explain import explanation_json

            try:
                print(json.dumps(explanation_json(model, tagged, args.explain), ensure_ascii=False))
            except ValueError as exc:
                print(json.dumps({"error": str(exc)}, ensure_ascii=False))
                sys.exit(1)
        elif args.tokens:
            tokens = [
                {"text": tok, "start": start, "end": end, "sentence": sid, "tag": t}
                for tok, (start, end), sid, t in zip(
                    tagged.tokens, tagged.offsets, tagged.sentence_ids, tagged.tags, strict=True
                )
            ]
            print(json.dumps({"entities": tagged.entities, "tokens": tokens}, ensure_ascii=False))
        else:
            print(json.dumps(tagged.entities, ensure_ascii=False))


def pen_json(source: str) -> dict:
    """The `pen` command's answer; on bad input or missing weights, {"error": ...} and exit status 1."""
    from models.checkpoint import WeightsError
    from models.digits import load_digit_model
    from models.pen import load_pen_model, read_drawing
    from models.preprocess import EmptyDrawingError
    from sources.pen import PenInputError, parse_drawing

    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
        drawing = json.loads(text)
        parse_drawing(drawing)  # bad input is named before any model loads
        pen_model, _ = load_pen_model()
        cnn_model, _ = load_digit_model("cnn")
        return read_drawing(drawing, pen_model, cnn_model)
    except (OSError, ValueError, WeightsError, PenInputError, EmptyDrawingError) as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(1)


if __name__ == "__main__":
    main()

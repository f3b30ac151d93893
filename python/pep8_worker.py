"""A long-lived pycodestyle worker for posterior's pep8 scorer (src/scorers/pep8.ts).

Protocol, one JSON object per line on stdin and stdout:
  request  {"texts": [str, ...]}                    -> {"results": [result, ...]}
           result = {"violations": int, "lines": [[line_number, count], ...]}
           or {"error": "ExceptionName: message"} when pycodestyle itself crashes
  request  {"texts": [str, ...], "compile": true}   -> {"results": [bool, ...]}
           whether each text compiles; pycodestyle does not run, so none of its
           crashes can stop this
  request  {"info": true}                           -> {"python": str, "pycodestyle": str}
A request that is not valid JSON gets {"error": ...}; the worker keeps serving.

Counts are exactly those of the `pycodestyle` command on a file holding the text:
the same default options and ignore list, and the text split into lines the way
the command reads a file (universal newlines). User and project configuration
files are never read, so a score does not depend on who runs it or where.
"""
import io
import json
import platform
import sys

import pycodestyle

pycodestyle.USER_CONFIG = None


class LineCounts(pycodestyle.BaseReport):
    """Counts reported violations per physical line, as the command would print them."""

    def init_file(self, filename, lines, expected, line_offset):
        super().init_file(filename, lines, expected, line_offset)
        self.per_line = {}

    def error(self, line_number, offset, text, check):
        code = super().error(line_number, offset, text, check)
        if code:
            self.per_line[line_number] = self.per_line.get(line_number, 0) + 1
        return code


STYLE = pycodestyle.StyleGuide(reporter=LineCounts)


def check(text):
    try:
        lines = io.StringIO(text, newline=None).readlines()
        checker = pycodestyle.Checker(lines=lines, options=STYLE.options)
        violations = checker.check_all()
        result = {
            'violations': violations,
            'lines': sorted(checker.report.per_line.items()),
        }
    except Exception as exc:  # a pycodestyle bug on this text, not a worker failure
        return {'error': f'{type(exc).__name__}: {exc}'}
    return result


def compiles(text):
    if text.startswith('\ufeff'):
        text = text[1:]  # a byte-order mark, which Python drops when it reads a file
    try:
        compile(text, '<posterior>', 'exec', dont_inherit=True)
        return True
    except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError, ...
        return False


def answer(request):
    if request.get('info'):
        return {'python': platform.python_version(), 'pycodestyle': pycodestyle.__version__}
    texts = request['texts']
    if request.get('compile'):
        return {'results': [compiles(text) for text in texts]}
    return {'results': [check(text) for text in texts]}


def main():
    out = sys.stdout
    for raw in sys.stdin.buffer:
        try:
            reply = answer(json.loads(raw))
        except Exception as exc:
            reply = {'error': f'bad request: {type(exc).__name__}: {exc}'}
        out.write(json.dumps(reply) + '\n')
        out.flush()


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Reads the test runs' TRX files (the hosting library's tests, then the suite) and prints what CI's log must show:
each failed test whole (its error, its stack and everything it wrote: the AppHost consoles, resource states and logs
its failure report holds), then which tests were skipped and why, and last the line `N passed, N failed` over all of
them. Exit code 0 when nothing failed."""
import sys
import xml.etree.ElementTree as ET

NS = '{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}'


def text(element, path):
    found = element.find(path)
    return (found.text or '') if found is not None else ''


def main(trx_files):
    roots = [ET.parse(trx).getroot() for trx in trx_files]
    results = [result for root in roots for result in root.iter(NS + 'UnitTestResult')]
    failed = [r for r in results if r.get('outcome') in ('Failed', 'Error', 'Timeout', 'Aborted')]
    skipped = [r for r in results if r.get('outcome') in ('NotExecuted', 'Skipped')]
    for result in failed:
        output = result.find(NS + 'Output')
        print(f"===== FAILED {result.get('testName')} ({result.get('duration')}) =====")
        if output is not None:
            print(text(output, f'{NS}ErrorInfo/{NS}Message').rstrip())
            print(text(output, f'{NS}ErrorInfo/{NS}StackTrace').rstrip())
            for message in output.iter(NS + 'Message'):
                if message.text and message not in output.findall(f'{NS}ErrorInfo/{NS}Message'):
                    print(message.text.rstrip())
            print(text(output, NS + 'StdOut').rstrip())
            print(text(output, NS + 'StdErr').rstrip())
        print(f"===== end of {result.get('testName')} =====")
    passed = 0
    for root in roots:
        counters = root.find(f'{NS}ResultSummary/{NS}Counters')
        passed += int(counters.get('passed', '0')) if counters is not None else 0
    if skipped:
        print(f'{len(skipped)} skipped:')
        for result in skipped:
            reason = text(result, f'{NS}Output/{NS}ErrorInfo/{NS}Message').strip() or 'no reason given'
            print(f"  {result.get('testName')}: {reason}")
    else:
        print('0 skipped')
    print(f'{passed} passed, {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

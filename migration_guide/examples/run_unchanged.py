"""Run a Twilio script on ACS without editing it: ``python run_unchanged.py script.py [args]``.

``twilio_compat.install()`` makes every ``twilio.rest.Client`` built afterwards answer
Conversations from ACS (other Twilio products still go to Twilio), so ``script.py`` keeps its
``from twilio.rest import Client``. In an application, call ``install()`` once at start-up.
"""

import runpy
import sys

import twilio_compat

if len(sys.argv) < 2:
    sys.exit("usage: python run_unchanged.py SCRIPT.py [ARGS...]")

twilio_compat.install()
script, sys.argv = sys.argv[1], sys.argv[1:]
runpy.run_path(script, run_name="__main__")

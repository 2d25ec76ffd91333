"""The reports room: what officials and the awards committee read, kept apart from the citizens' hot paths.

    ports.py     what reports read (ReportsStore, implemented by bot.db.reports and the tests' fake)
    table.py     a sheet as data: columns with a kind and a width, rows streamed one at a time
    contest.py   pure row builders of the contest workbook (Individuals, Units, Awards, Questions, Rules)
    stats.py     the campaign's statistics: numbers, their text and their sheets
    chart.py     the statistics as PNG charts (matplotlib, the shipped fonts)
    xlsx.py, csvfiles.py   writers: the adapters from sheets to files
    export.py    the services the command line and the chat call (one audit record per export)
    job.py       the chat's way to run them: a child process with its own read-only connection

Nothing here imports a messenger; the handlers (bot/handlers/reports.py) and the command line are thin callers.
"""

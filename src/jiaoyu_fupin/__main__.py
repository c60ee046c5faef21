from jiaoyu_fupin.cli import main

main()

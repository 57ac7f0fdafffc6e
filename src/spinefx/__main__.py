from spinefx.cli import main

main()

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO := demo_out
SAMPLE := sample_data

.PHONY: install demo test bench sample clean lint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@rm -rf $(DEMO)
	$(BIN)/fupin inspect $(SAMPLE)/registry $(SAMPLE)/national $(SAMPLE)/provincial
	$(BIN)/fupin reconcile --registry $(SAMPLE)/registry --national $(SAMPLE)/national \
	    --provincial $(SAMPLE)/provincial --roster $(SAMPLE)/rosters --schools $(SAMPLE)/schools.xlsx \
	    --semester 2020秋 -o $(DEMO)/对账
	$(BIN)/fupin dropout-check --registry $(SAMPLE)/registry --roster $(SAMPLE)/rosters \
	    --previous-roster $(SAMPLE)/previous_rosters --home-education $(SAMPLE)/home_education.xlsx \
	    --elsewhere $(SAMPLE)/elsewhere.xlsx --school-year 2020 --split-by village -o $(DEMO)/控辍保学
	$(BIN)/fupin payout --registry $(SAMPLE)/registry --roster $(SAMPLE)/rosters \
	    --schools $(SAMPLE)/schools.xlsx --semester 2021春 -o $(DEMO)/发放花名册
	$(BIN)/fupin summary --payout $(DEMO)/发放花名册/payout.csv --registry $(SAMPLE)/registry -o $(DEMO)/统计
	$(BIN)/fupin notify --payout $(DEMO)/发放花名册/payout.csv -o $(DEMO)/告知书
	@echo
	@echo "演示完成。台账在 $(CURDIR)/$(DEMO)/ 下：对账、控辍保学、发放花名册、统计、告知书"

test: $(STAMP)
	$(BIN)/pytest

sample: $(STAMP)
	$(BIN)/python -m jiaoyu_fupin.samplegen $(SAMPLE) --truth tests/data/sample_truth

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) $(DEMO)

// Drives the real mloop binary as a user would: commands, output, exit codes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "mloop/core/hash.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

using Result = testing::CliResult;

class CliTest : public ::testing::Test {
 protected:
  Result Run(const std::string& args) { return testing::RunMloop(dir_.path(), args); }
  // Runs `script` (written to the test directory as train.py) with Debian's python3 and the
  // arguments, each quoted; its exit code.
  int RunPython(const std::string& script, const std::vector<std::string>& args) {
    WriteFile(dir_ / "train.py", script);
    std::string cmd = "/usr/bin/python3 '" + (dir_ / "train.py").string() + "'";
    for (const std::string& a : args) cmd += " '" + a + "'";
    return std::system(cmd.c_str());
  }
  // Each row of `ours` (a CSV of predictions whose second column is the probability) equals the
  // number on the same line of `theirs` (Python's) as a float, as XGBoost computes; the row count.
  int ExpectSameProbabilities(const std::string& ours_file, const std::string& theirs_file) {
    std::istringstream ours(ReadFile(dir_ / ours_file)), theirs(ReadFile(dir_ / theirs_file));
    std::string line;
    std::getline(ours, line);
    int rows = 0;
    for (double want; theirs >> want; ++rows) {
      if (!std::getline(ours, line)) {
        ADD_FAILURE() << ours_file << " ends at row " << rows;
        break;
      }
      EXPECT_EQ(static_cast<float>(std::stod(line.substr(line.find(',') + 1))),
                static_cast<float>(want))
          << "row " << rows;
    }
    return rows;
  }
  TempDir dir_;
};

TEST_F(CliTest, HelpAndVersion) {
  auto r = Run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "data");
  EXPECT_CONTAINS(r.out, "init");
  EXPECT_EQ(Run("data import --help").code, 0);
  EXPECT_CONTAINS(Run("--version").out, "mloop 0.");
  // A subcommand's help ends with mloop's footer line, not its parent's examples.
  for (const char* cmd : {"tune show --help", "serve keys --help", "serve keys create --help"}) {
    r = Run(cmd);
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_EQ(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1),
              "Run `mloop COMMAND --help` for a command's options. Docs: docs/cli.md\n")
        << cmd;
  }
}

// docs/cli.md says its help texts are the program's real --help output (the footer line left
// out): every block there that holds a "Usage: mloop ..." line equals what the command prints.
TEST_F(CliTest, HelpTextsInTheDocsAreTheRealOnes) {
  const std::string docs = ReadFile(std::filesystem::path(MLOOP_SOURCE_DIR) / "docs" / "cli.md");
  const std::string footer =
      "Run `mloop COMMAND --help` for a command's options. Docs: docs/cli.md";
  auto trim = [&](std::string text) {
    if (const size_t at = text.rfind(footer); at != std::string::npos) text.erase(at);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  };
  // The fenced blocks, line by line (a fence opens or closes a block).
  std::vector<std::string> blocks;
  std::istringstream lines(docs);
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("```", 0) == 0) {
      if (!inside) blocks.emplace_back();
      inside = !inside;
    } else if (inside) {
      blocks.back() += line + "\n";
    }
  }
  int checked = 0;
  for (std::string block : blocks) {
    if (block.rfind("$ mloop --help\n", 0) == 0) block.erase(0, block.find('\n') + 1);
    const size_t usage = block.find("Usage: mloop");
    if (usage == std::string::npos || block[0] == '$') continue;
    const size_t args_end = block.find(" [OPTIONS]", usage);
    ASSERT_NE(args_end, std::string::npos) << block;
    const std::string command = block.substr(usage + 12, args_end - usage - 12);  // " data import"
    const auto r = Run(command + " --help");
    EXPECT_EQ(r.code, 0) << command;
    EXPECT_EQ(trim(block), trim(r.out)) << "mloop" << command << " --help";
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST_F(CliTest, ModelsUpdateDescriptionsAndTags) {
  ASSERT_EQ(Run("init").code, 0);
  auto r = Run(std::string("train ") + MLOOP_SOURCE_DIR +
               "/examples/data/iris.csv --target species --algo logistic -q");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("models register 1 --name iris --description first --tag team=ml --tag ticket=ML-12");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Run("models register 1 --name iris").code, 0);
  r = Run("models update iris/1 --description 'second thoughts' --tag team=vision --untag ticket");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "Updated iris/1\n");
  EXPECT_EQ(Run("models update iris/1 --tag team=vision").out, "Updated iris/1 (unchanged)\n");
  r = Run("models show iris/1");
  EXPECT_CONTAINS(r.out, "about:     second thoughts\n");
  EXPECT_CONTAINS(r.out, "tags:      team=vision\n");
  const auto shown = nlohmann::json::parse(Run("models show iris/1 --json").out);
  EXPECT_EQ(shown["registry"]["tags"], nlohmann::json({{"team", "vision"}}));
  // Filter by tag; the TAGS column shows once a version has one.
  r = Run("models list --tag team=vision");
  EXPECT_CONTAINS(r.out, "iris/1");
  EXPECT_EQ(r.out.find("iris/2"), std::string::npos) << r.out;
  EXPECT_CONTAINS(r.out, "TAGS");
  EXPECT_EQ(Run("models list --tag team=x").out, "No registered version has team=x\n");
  r = Run("models history iris");
  EXPECT_CONTAINS(r.out, "version 1: description 'first' -> 'second thoughts'");
  EXPECT_CONTAINS(r.out, "version 1: tag team ml -> vision");
  EXPECT_CONTAINS(r.out, "version 1: tag ticket ML-12 -> (removed)");
  // Mistakes change nothing.
  r = Run("models update iris/1 --untag nope --description never");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "iris/1 has no tag 'nope'");
  EXPECT_CONTAINS(r.err, "its tags: team");
  EXPECT_CONTAINS(Run("models show iris/1").out, "about:     second thoughts\n");
  EXPECT_EQ(Run("models update iris/1").code, 2);
  EXPECT_EQ(Run("models update iris/9 --tag a=b").code, 1);
  EXPECT_EQ(Run("models update iris@latest --tag a=b").code, 2);
  for (const char* bad : {"--tag 'a b=1'", "--tag k=", "--tag =v", "--tag k=v --untag k",
                          "--tag k=1 --tag k=2", "--tag .k=v", "--untag 'a b'"}) {
    r = Run(std::string("models update iris/1 ") + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
  }
  EXPECT_CONTAINS(Run("models update iris/1 --tag k=").err, "hint: give KEY=VALUE; remove a tag");
  EXPECT_EQ(Run("models register 1 --name iris --tag 'x=a\tb'").code, 2);
  // A description can be cleared.
  ASSERT_EQ(Run("models update iris/1 --description ''").code, 0);
  EXPECT_EQ(Run("models show iris/1").out.find("about:"), std::string::npos);
}

TEST_F(CliTest, RegistryNamesTheNearestAndWarnsOfOtherInputs) {
  ASSERT_EQ(Run("init").code, 0);
  const std::string data = std::string(MLOOP_SOURCE_DIR) + "/examples/data/";
  auto trained = Run("train " + data + "iris.csv --target species --algo logistic -q");
  ASSERT_EQ(trained.code, 0);
  // iris.csv has the class twice (species, and its number in `target`): said, even with -q.
  EXPECT_CONTAINS(trained.err,
                  "warning: feature 'target' names the class of 'species' one to one (the label "
                  "under another name?)");
  ASSERT_EQ(Run("train " + data + "diabetes.csv --target progression --algo linear -q").code, 0);
  // A regression's default split is random, and its run says so (it read stratified:0.2).
  EXPECT_EQ(nlohmann::json::parse(Run("runs show 2 --json").out)["lineage"]["split"], "random:0.2");
  ASSERT_EQ(Run("models register 1 --name iris").code, 0);
  ASSERT_EQ(Run("models alias iris/1 production").code, 0);
  auto r = Run("models show irs@production");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "hint: no registered model 'irs'; did you mean 'iris'?");
  EXPECT_CONTAINS(Run("models show iris@prodution").err, "hint: did you mean iris@production?");
  EXPECT_CONTAINS(Run("predict iris@PRODUCTION --data x.csv").err,
                  "hint: did you mean iris@production?");
  EXPECT_CONTAINS(Run("predict iris@Latest --data x.csv").err, "hint: did you mean iris@latest?");
  EXPECT_CONTAINS(Run("models unalias iris prod").err, "hint: aliases of iris: production\n");
  r = Run("models unalias iris/1 production");  // as `alias` takes it
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "hint: mloop models unalias iris production\n");
  EXPECT_CONTAINS(Run("models unalias iris@production").err,
                  "hint: mloop models unalias iris production\n");
  // Outputs are checked before any work: an empty name, a directory, another tool's file.
  r = Run("predict iris/1 --data " + data + "iris.csv -o ''");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--output: the file name is empty");
  std::filesystem::create_directory(dir_ / "outdir");
  r = Run("predict iris/1 --data " + data + "iris.csv -o outdir/");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--output outdir/ is a directory");
  WriteFile(dir_ / "outdir" / "model.json", "mine");
  r = Run("models export iris/1 -o outdir");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "'outdir' already holds a model.json that is not part of an mloop model export");
  EXPECT_EQ(ReadFile(dir_ / "outdir" / "model.json"), "mine");
  WriteFile(dir_ / "outdir" / "manifest.json", "{\"name\": \"a web app\"}");  // not mloop's
  r = Run("models export iris/1 -o outdir");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'outdir' already holds a manifest.json that is not part of an mloop");
  EXPECT_EQ(Run("models export iris/1 -o ''").code, 2);
  // The input read from stdin is the input too: `-d - -o s.csv < s.csv` would empty it.
  std::filesystem::copy_file(data + "iris.csv", dir_ / "s.csv");
  const std::string redirected = "cd '" + dir_.path().string() + "' && " + MLOOP_BINARY +
                                 " predict iris/1 -d - -o s.csv < s.csv 2> err.txt";
  EXPECT_EQ(WEXITSTATUS(std::system(redirected.c_str())), 2);
  EXPECT_CONTAINS(ReadFile(dir_ / "err.txt"), "--output s.csv is the input file (read from stdin)");
  EXPECT_EQ(ReadFile(dir_ / "s.csv"), ReadFile(data + "iris.csv"));
  EXPECT_CONTAINS(Run("models history irsi").err, "did you mean 'iris'?");
  EXPECT_CONTAINS(Run("models approve irs/1").err, "did you mean 'iris'?");
  EXPECT_CONTAINS(Run("models alias iris/7 staging").err, "hint: versions of iris: 1");
  // References mixed up with datasets' (NAME@N) or given as a bare name get the right form.
  r = Run("predict iris@1 --data x.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "hint: a model's version is NAME/VERSION: iris/1");
  r = Run("predict iris --data x.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "error: 'iris' is a registered model; name one of its versions\n"
                  "hint: give iris/1, iris@production, or iris@latest");
  r = Run("predict 1 --data ../nowhere/x.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no file '../nowhere/x.csv'");
  EXPECT_CONTAINS(Run("runs show run:1").out, "run 1 (default)");
  r = Run("runs show one");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "a run id is a whole number from 1 (or run:N), not 'one'");
  // A name that differs from a registered one in case only is refused.
  r = Run("models register 1 --name IRIS");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "model name 'IRIS' differs from the registered 'iris' only in case");
  // Registering, and moving an alias to, a version that takes other records or answers
  // otherwise is allowed, with a warning.
  r = Run("models register 2 --name iris");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: iris/2 is a regression model where it was multiclass (iris/1)");
  r = Run("models alias iris/2 production");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "a running `mloop serve` of iris@production swaps only to a version with the "
                  "inputs and answers of the one it serves");
  ASSERT_EQ(Run("train " + data + "iris.csv --target species --algo logistic -q -p C=0.5").code, 0);
  r = Run("models register 3 --name iris");
  EXPECT_CONTAINS(r.err, "warning: iris/3 is a multiclass model where it was regression");
  // The same inputs and answers: no warning.
  EXPECT_EQ(Run("models alias iris/1 staging").err, "");
  EXPECT_EQ(Run("models alias iris/3 staging").err, "");
  // A damaged bundle is no reason to keep an alias on it, nor to fail a registration after it:
  // without a bundle to compare with, there is no comparison.
  const std::string model_file =
      nlohmann::json::parse(Run("models show iris/3 --json").out)["manifest"]["files"]["model.json"]
          .get<std::string>();
  const auto path = dir_ / ".mloop" / "artifacts" / "sha256" / model_file.substr(0, 2) / model_file;
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteFile(path, "damaged");
  r = Run("models alias iris/1 staging");  // away from the damaged iris/3
  EXPECT_EQ(r.code, 0) << r.err;
  r = Run("models register 1 --name iris");  // after the damaged iris/3
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Registered iris/4");
  // A deleted version is said to be deleted, not unknown.
  ASSERT_EQ(Run("models delete iris/4").code, 0);
  r = Run("models show iris/4");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: iris/4 was deleted (");
  ASSERT_EQ(Run("models register 2 --name gone").code, 0);
  ASSERT_EQ(Run("models delete gone/1").code, 0);
  EXPECT_CONTAINS(Run("models list gone").err, "error: every version of 'gone' was deleted");
  EXPECT_CONTAINS(Run("models show gone/1").err,
                  "hint: every version of gone was deleted; `mloop models history gone` shows");
  EXPECT_CONTAINS(Run("models show gone@latest").err,  // not "did you mean" another model
                  "hint: every version of gone was deleted; `mloop models history gone` shows");
  // An algorithm that cannot do the task names the ones that can.
  EXPECT_EQ(Run("train " + data + "diabetes.csv --target progression --algo logistic -q").err,
            "error: logistic cannot do regression (target 'progression')\n"
            "hint: algorithms for regression: linear, random_forest, xgboost\n");
}

TEST_F(CliTest, EvalCatchesColumnMixUpsAndPrintsEveryMissedGate) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "p.csv",
            "label,score,w\n0,0.2,1\n1,0.4,1\n0,0.6,2\n1,0.9,1\n1,0.55,1\n0,0.31,1\n");
  auto r = Run("eval --predictions p.csv --label label --score label");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--label and --score both name column 'label'");
  EXPECT_EQ(Run("eval --predictions p.csv --label label --score score --weight score").code, 2);
  r = Run("eval --predictions p.csv --label score --score label");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "are the two swapped?");
  EXPECT_EQ(Run("eval --predictions p.csv --label label --score score").err, "");
  EXPECT_EQ(Run("eval --predictions p.csv --label score --score label --task regression").err, "");
  r = Run("eval --predictions p.csv --label churned --score score");  // the file is named
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: --label churned: p.csv has no column 'churned'");
  EXPECT_CONTAINS(r.err, "hint: its columns: label, score, w");
  // A gate that cannot be checked (f1 of a multiclass evaluation) does not hide one missed.
  const std::string data = std::string(MLOOP_SOURCE_DIR) + "/examples/data/iris.csv";
  ASSERT_EQ(Run("train " + data + " --target species --algo logistic -q").code, 0);
  r = Run("eval 1 --data " + data + " --fail-under f1=0.5 --fail-over log_loss=0.01");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "quality gate missed: log_loss = ");
  EXPECT_CONTAINS(r.err,
                  "metric 'f1' is not one of a multiclass evaluation (did you mean 'f1_micro'?)");
}

// `data import -` reads standard input, as `-o -` writes standard output.
TEST_F(CliTest, ImportReadsStandardInput) {
  ASSERT_EQ(Run("init").code, 0);
  std::string cmd = "cd '" + dir_.path().string() + "' && printf 'a,b\\n1,2\\n3,4\\n' | " +
                    MLOOP_BINARY + " data import - --name piped > out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "Imported piped@1: 2 rows x 2 columns");
  // JSON Lines on standard input are known by their first '{'; predict, eval and friends read
  // `--data -` too, piped or redirected.
  WriteFile(dir_ / "t.csv", "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n7,0\n8,1\n");
  ASSERT_EQ(Run("train t.csv -t y -a logistic --split none -q").code, 0);
  const std::string bin = MLOOP_BINARY;
  const std::string cd = "cd '" + dir_.path().string() + "' && ";
  cmd = cd + "printf '{\"x\": 1}\\n{\"x\": 8}\\n' | " + bin +
        " data import - --name pj > out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "Imported pj@1: 2 rows x 1 column");
  // ... once decompressed, and in a file whose name does not tell (data.txt, events.gz).
  cmd = cd + "printf '{\"x\": 1}\\n{\"x\": 8}\\n' | gzip | " + bin +
        " data import - --name pjz > out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "Imported pjz@1: 2 rows x 1 column");
  WriteFile(dir_ / "events.txt", "{\"x\": 1}\n{\"x\": 8}\n");
  EXPECT_CONTAINS(Run("data import events.txt --name events").out,
                  "Imported events@1: 2 rows x 1 column");
  cmd = cd + "printf '{\"x\": 1}\\n{\"x\": 8}\\n' | " + bin + " predict 1 -d - > out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "prediction,probability\n");
  cmd = cd + bin + " predict 1 -d - < t.csv > out.txt 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
  const std::string predicted = ReadFile(dir_ / "out.txt");
  EXPECT_EQ(std::count(predicted.begin(), predicted.end(), '\n'), 9);  // a header and 8 rows
  // Errors name standard input or the file given, never the temporary copy of a pipe.
  cmd = cd + "printf 'a,b\\n1,2\\n3\\n' | " + bin + " data import - --name bad > out.txt 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "error: <stdin>:3:2: expected 2 fields, found 1");
  auto r = Run("data import /dev/null --name x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: /dev/null: ");
  EXPECT_EQ(r.err.find("mloop-input-"), std::string::npos) << r.err;
}

// `train FILE` of a file imported before with roles of its own (an id, the target) reads it
// again with them: a changed file's new version keeps its id out of the features and its
// target. A declared column the file no longer has loses its role; the other options stay.
TEST_F(CliTest, TrainFileKeepsTheOptionsItWasImportedWith) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "id,x,y\n";
  for (int i = 0; i < 40; ++i) {
    csv +=
        std::to_string(1000 + i) + "," + std::to_string(i % 7) + "," + std::to_string(i % 2) + "\n";
  }
  WriteFile(dir_ / "c.csv", csv);
  ASSERT_EQ(Run("data import c.csv --name c --target y --role id=id --na '?'").code, 0);
  auto r = Run("train c.csv --algo logistic --split none");  // the target declared before
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "already stored: c.csv as c@1");
  WriteFile(dir_ / "c.csv", csv + "1040,?,1\n");
  r = Run("train c.csv --algo logistic --split none");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "imported c.csv as c@2 (41 rows; roles, types and missing values as in c@1)");
  auto schema = nlohmann::json::parse(Run("data show c@2 --json").out)["schema"];
  EXPECT_EQ(schema[0]["role"], "id");
  EXPECT_EQ(schema[1]["type"], "int64");  // '?' is missing, as --na said
  EXPECT_EQ(schema[2]["role"], "target");
  auto run = nlohmann::json::parse(Run("runs show 2 --json").out);
  EXPECT_EQ(run["lineage"]["target"], "y");
  EXPECT_EQ(run["lineage"]["dataset"]["version"], 2);

  // The id column renamed: its role is left out, the target and the --na token kept.
  WriteFile(dir_ / "c.csv", "key,x,y\n1,2,0\n2,?,1\n3,4,0\n4,5,1\n");
  r = Run("train c.csv --algo logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "warning: c.csv no longer has column id, whose type or role c@2 declared; the "
                  "file's other import options are kept");
  schema = nlohmann::json::parse(Run("data show c@3 --json").out)["schema"];
  EXPECT_EQ(schema[0]["role"], "feature");
  EXPECT_EQ(schema[1]["type"], "int64");
  EXPECT_EQ(schema[1]["missing"], 1);
  EXPECT_EQ(schema[2]["role"], "target");
  // The workspace's tokens of now, with the file's own --na on top: MISSING, a token the
  // workspace added since, is missing too.
  std::string config = ReadFile(dir_ / "mloop.yaml");
  config.replace(config.find("\"null\"]"), 7, "\"null\", \"MISSING\"]");
  WriteFile(dir_ / "mloop.yaml", config);
  WriteFile(dir_ / "c.csv", "key,x,y\n1,2,0\n2,?,1\n3,MISSING,0\n4,5,1\n");
  r = Run("train c.csv --algo logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  schema = nlohmann::json::parse(Run("data show c@4 --json").out)["schema"];
  EXPECT_EQ(schema[1]["type"], "int64");
  EXPECT_EQ(schema[1]["missing"], 2);
  // Without a target declared anywhere, a file still needs --target.
  WriteFile(dir_ / "d.csv", "x,y\n1,0\n2,1\n");
  r = Run("train d.csv --algo logistic");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "needs a target");
}

// A file imported with --on-bad-rows skip is read so again by `train FILE`, which says what it
// rejected; a pipe (/dev/stdin) never takes the options of an earlier input through it.
TEST_F(CliTest, TrainFileCarriesSkippedRowsButNotForAPipe) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "b.csv", "x,y\n1,0\n2,1,5\n3,0\n4,1\n5,0\n6,1\n");
  ASSERT_EQ(Run("data import b.csv --name b --on-bad-rows skip --target y").code, 0);
  WriteFile(dir_ / "b.csv", "x,y\n1,0\n2,1,5\n3,0\n4,1\n5,0\n6,1\n7,0\n8,1\n");
  auto r = Run("train b.csv --algo logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "warning: 1 of b.csv's rows was rejected (--on-bad-rows skip, as b@1 was "
                  "imported), written with reasons to b.rejects.jsonl");
  EXPECT_CONTAINS(ReadFile(dir_ / "b.rejects.jsonl"), "\"line\":3");

  WriteFile(dir_ / "a.csv", "x,y\n1,0\n?,1\n3,0\n4,1\n5,0\n6,1\n");
  const std::string cd = "cd '" + dir_.path().string() + "' && ";
  const std::string bin = MLOOP_BINARY;
  std::string cmd = cd + bin + " data import /dev/stdin --name stdin --na '?' --target y < a.csv";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  // Without --target: the pipe's earlier import declared one, but that was other data.
  cmd = cd + bin + " train /dev/stdin --algo logistic --split none -q < a.csv > out.txt 2>&1";
  EXPECT_NE(std::system(cmd.c_str()), 0);
  EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "logistic needs a target");
  cmd = cd + bin + " train /dev/stdin --target y --algo logistic --split none -q < a.csv";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const auto schema = nlohmann::json::parse(Run("data show stdin@2 --json").out)["schema"];
  EXPECT_EQ(schema[0]["type"], "string");  // '?' is text: --na was not carried
  EXPECT_EQ(schema[0]["missing"], 0);
}

// --na adds a token to the missing values, as pandas' na_values adds to its defaults: an empty
// cell stays missing beside it. --no-default-na reads only the given tokens
// (keep_default_na=False).
TEST_F(CliTest, ImportNaTokensAddToTheDefaults) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "na.csv", "a,b\n1,\n2,3\n?,NA\n");
  ASSERT_EQ(Run("data import na.csv --name x --na '?'").code, 0);
  auto schema = nlohmann::json::parse(Run("data show x --json").out)["schema"];
  EXPECT_EQ(schema[0]["type"], "int64");
  EXPECT_EQ(schema[1]["type"], "int64");
  EXPECT_EQ(schema[0]["missing"], 1);
  EXPECT_EQ(schema[1]["missing"], 2);
  WriteFile(dir_ / "na.jsonl", "{\"a\": -999}\n");  // JSON Lines have null: refused, not ignored
  EXPECT_EQ(Run("data import na.jsonl --name j --na -999").code, 2);
  ASSERT_EQ(Run("data import na.csv --name y --na '?' --no-default-na").code, 0);
  schema = nlohmann::json::parse(Run("data show y --json").out)["schema"];
  EXPECT_EQ(schema[0]["type"], "int64");
  EXPECT_EQ(schema[1]["type"], "string");  // "", "3" and "NA" are text
  EXPECT_EQ(schema[1]["missing"], 0);
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  auto r = Run("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "error:");
  EXPECT_EQ(Run("data import").code, 2);  // --name is required
  Run("init");
  r = Run("data import x.csv --name d --type a=integr");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "did you mean 'integer'");
  EXPECT_EQ(Run("data import x.csv --name d --on-bad-rows maybe").code, 2);
  EXPECT_CONTAINS(Run("data import x.csv --name d --delimiter '\"'").err,
                  "--delimiter cannot be a quote or a line break");
  EXPECT_EQ(Run("data show 'bad name'").code, 2);
  // Repeatable flags take one value each and leave FILE alone.
  r = Run("data import --type a=int64 x.csv --name d");
  EXPECT_CONTAINS(r.err, "cannot open 'x.csv'");
}

TEST_F(CliTest, UnknownCommandsSuggestTheNearest) {
  auto r = Run("data impor x.csv");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "unknown command 'impor' for 'mloop data' (did you mean 'import'?)");
  r = Run("-w somewhere dat list");
  EXPECT_CONTAINS(r.err, "unknown command 'dat' for 'mloop' (did you mean 'data'?)");
  // An option of one value given twice says so.
  r = Run("data show x --rows 3 --rows 4");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "error: --rows is given 2 times; it takes one value (give it once)");
}

TEST_F(CliTest, WithoutWorkspaceTheHintSaysInit) {
  auto r = Run("data list");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: no mloop workspace");
  EXPECT_CONTAINS(r.err, "hint: create one with `mloop init`");
}

TEST_F(CliTest, ALostCatalogueIsAnErrorNotAnEmptyWorkspace) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "d.csv", "a,b\n1,2\n");
  ASSERT_EQ(Run("data import d.csv --name d").code, 0);
  const auto db = dir_ / ".mloop" / "metadata.db";
  const std::string saved = ReadFile(db);
  std::filesystem::remove(db);
  auto r = Run("data list");  // a missing store is not silently recreated empty
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "metadata.db is missing: the catalogue of datasets, runs and models is gone");
  EXPECT_CONTAINS(r.err, "hint: restore metadata.db from a backup");
  EXPECT_FALSE(std::filesystem::exists(db));
  WriteFile(db, "");
  r = Run("data import d.csv --name d");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "metadata.db is empty");
  WriteFile(db, std::string(4096, 'x'));
  r = Run("data list");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the metadata store is damaged");
  // Another program's database is not taken over.
  std::filesystem::remove(db);
  ASSERT_EQ(std::system(("sqlite3 '" + db.string() + "' 'CREATE TABLE notes(t TEXT)'").c_str()), 0);
  r = Run("data list");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "is a SQLite database but not an mloop metadata store");
  std::filesystem::remove(db);
  WriteFile(db, saved);
  r = Run("data list");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "d ");
}

TEST_F(CliTest, OutputsNeverReplaceTheWorkspacesOwnFiles) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "d.csv", "a,b\n1,2\n");
  ASSERT_EQ(Run("data import d.csv --name d").code, 0);
  for (const char* out : {".mloop/metadata.db", ".mloop/artifacts/x.csv", "mloop.yaml"}) {
    auto r = Run(std::string("data export d -o ") + out);
    EXPECT_EQ(r.code, 2) << out;
    EXPECT_CONTAINS(r.err, "is part of the workspace's own state");
  }
  std::filesystem::create_symlink(".mloop/metadata.db", dir_ / "link.csv");
  EXPECT_EQ(Run("data export d -o link.csv").code, 2);  // through a link too
  EXPECT_EQ(Run("profile d --html .mloop/report.html").code, 2);
  EXPECT_EQ(Run("data import d.csv --name e --rejects .mloop/r.jsonl").code, 2);
  // Captured records too: refused before the server starts (nothing to serve is needed).
  auto capture = Run("serve --model d --port 0 --capture-percent 5 --capture-dir .mloop/cap");
  EXPECT_EQ(capture.code, 2);
  EXPECT_CONTAINS(capture.err, "--capture-dir .mloop/cap is part of the workspace's own state");
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".mloop" / "cap"));
  auto r = Run("data list");
  ASSERT_EQ(r.code, 0) << r.err;  // the store is intact
  EXPECT_CONTAINS(r.out, "d ");
}

// -o /dev/stdout writes through the descriptor: the file the shell appends to keeps its content
// (it was replaced by a rename), and a transform, which needs a file it can resume, refuses it.
TEST_F(CliTest, DescriptorOutputsAreWrittenThroughNotReplaced) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "d.csv", "a,b\n1,2\n");
  ASSERT_EQ(Run("data import d.csv --name d").code, 0);
  WriteFile(dir_ / "kept.txt", "precious line\n");
  struct stat before {};
  ASSERT_EQ(::stat((dir_ / "kept.txt").c_str(), &before), 0);
  const std::string cmd = "cd '" + dir_.path().string() + "' && " + MLOOP_BINARY +
                          " data export d -o /dev/stdout >> kept.txt 2> err.txt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "err.txt");
  EXPECT_EQ(ReadFile(dir_ / "kept.txt"), "precious line\na,b\n1,2\n");  // no "Exported" line
  struct stat after {};
  ASSERT_EQ(::stat((dir_ / "kept.txt").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  auto r = Run("data export d -o /dev/fd/1");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a,b\n1,2\n");
}

TEST_F(CliTest, AMistypedArtifactStoreIsNotCreated) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "mloop.yaml", "version: 1\nstores:\n  artifacts: no/such/dir\n");
  WriteFile(dir_ / "d.csv", "a,b\n1,2\n");
  auto r = Run("data import d.csv --name d");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "does not exist (stores.artifacts in ");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "no"));
}

TEST_F(CliTest, APartialWorkspaceSaysWhatIsMissing) {
  std::filesystem::create_directories(dir_ / "w");
  WriteFile(dir_ / "w" / "mloop.yaml", "version: 1\n");
  auto r = Run("-w w data list");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "not a whole mloop workspace: .mloop is missing");
  r = Run("init w");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "holds part of an mloop workspace");
  EXPECT_CONTAINS(r.err, "move ");
}

TEST_F(CliTest, ImportListShowExportRoundTrip) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "d.csv",
            "id,score,label,when\n1,0.5,yes,2024-01-01\n2,,no,2024-01-02T10:00:00Z\n");
  auto r = Run("data import d.csv --name d --role id=id --target label");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Imported d@1: 2 rows x 4 columns");

  r = Run("data import d.csv --name d");
  EXPECT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "d@2");  // roles differ, so the content differs
  r = Run("data import d.csv --name d");
  EXPECT_CONTAINS(r.out, "Unchanged: this file was imported as d@2 with the same options");
  // JSON Lines has no infinity: an export says how many infinite values became null.
  WriteFile(dir_ / "inf.csv", "a,b\n1,inf\n2,-inf\n3,4\n");
  ASSERT_EQ(Run("data import inf.csv --name inf").code, 0);
  EXPECT_CONTAINS(Run("data export inf -o inf.jsonl").err,
                  "note: 2 infinite values are written as null (JSON has no infinity");
  EXPECT_EQ(Run("data export inf -o inf_out.csv").err, "");
  // CSV-only options with a JSON Lines file are refused, not ignored.
  WriteFile(dir_ / "j.jsonl", "{\"a\": 1}\n");
  EXPECT_CONTAINS(Run("data import j.jsonl --name j --no-header").err,
                  "--no-header applies to CSV files, and j.jsonl is JSON Lines");
  EXPECT_EQ(Run("data import j.jsonl --name j --delimiter ';'").code, 2);
  // pandas' to_csv with its index: the unnamed first column gets a hint.
  WriteFile(dir_ / "pd.csv", ",a,b\n0,1,2\n");
  r = Run("data import pd.csv --name pd");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "hint: pandas' to_csv writes its index as a first column without a name");
  // NaN in a float64 column counts as missing, as pandas' isna() and `profile` count it.
  WriteFile(dir_ / "nan.csv", "a,b\n1,nan\n2,NAN\n3,4\n");
  ASSERT_EQ(Run("data import nan.csv --name nan").code, 0);
  EXPECT_EQ(nlohmann::json::parse(Run("data show nan --json").out)["schema"][1]["missing"], 2);
  r = Run("data import d.csv --name d --json");
  EXPECT_CONTAINS(r.out, "\"reused\": true");
  // Other bytes, the same table: read, then found stored.
  WriteFile(dir_ / "d_crlf.csv",
            "id,score,label,when\r\n1,0.5,yes,2024-01-01\r\n2,,no,2024-01-02T10:00:00Z\r\n");
  r = Run("data import d_crlf.csv --name d");
  EXPECT_CONTAINS(r.out, "Unchanged: the content is identical to d@2");
  // Importing d@1's file again (a reverted file) makes `d` mean d@1: the latest is the version
  // last imported, so `train d` trains on what was just imported.
  r = Run("data import d.csv --name d --role id=id --target label");
  EXPECT_CONTAINS(r.out, "Unchanged: this file was imported as d@1");
  EXPECT_CONTAINS(r.out,
                  "Note: d means d@1 again (the latest is the version last imported; it "
                  "was d@2)");
  EXPECT_CONTAINS(Run("data show d --rows 0").out, "d@1");
  r = Run("data import d.csv --name d");  // back to d@2
  EXPECT_CONTAINS(r.out, "Note: d means d@2 again");

  r = Run("data list --json");
  EXPECT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "\"versions\": 2");

  r = Run("data show d@1");
  EXPECT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "d@1");
  EXPECT_CONTAINS(r.out, "sha256:");
  EXPECT_CONTAINS(r.out, "target");
  EXPECT_CONTAINS(r.out, "timestamp");

  r = Run("data show d --json");
  EXPECT_CONTAINS(r.out, "\"missing\": 1");

  ASSERT_EQ(Run("data export d@1 --output out.csv").code, 0);
  EXPECT_EQ(ReadFile(dir_ / "out.csv"),
            "id,score,label,when\n1,0.5,yes,2024-01-01T00:00:00Z\n2,,no,2024-01-02T10:00:00Z\n");
  r = Run("data export d@1 --output out.jsonl --json");
  ASSERT_EQ(r.code, 0);
  EXPECT_CONTAINS(r.out, "\"rows\": 2");
  EXPECT_CONTAINS(ReadFile(dir_ / "out.jsonl"), "\"score\":null");
  r = Run("data export d@1 --format jsonl --output -");
  EXPECT_CONTAINS(r.out, "\"label\":\"yes\"");
  // A .tsv name is tab-separated, and reads back the same.
  // A name of a format mloop does not write is refused, unless the format is given.
  r = Run("data export d@1 --output out.parquet");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "data export writes CSV or JSON Lines; out.parquet is named .parquet");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out.parquet"));
  ASSERT_EQ(Run("data export d@1 --output out.parquet --format csv").code, 0);
  ASSERT_EQ(Run("data export d@1 --output out.tsv").code, 0);
  EXPECT_EQ(ReadFile(dir_ / "out.tsv"),
            "id\tscore\tlabel\twhen\n1\t0.5\tyes\t2024-01-01T00:00:00Z\n"
            "2\t\tno\t2024-01-02T10:00:00Z\n");
  // A delimiter that is empty or not ASCII is refused.
  EXPECT_EQ(Run("data import out.tsv --name t --delimiter ''").code, 2);
  r = Run("data import out.tsv --name t --delimiter é");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--delimiter must be one ASCII character");
}

TEST_F(CliTest, BadRowsFailByDefaultAndNothingIsStored) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "bad.csv", "a,b\n1,2\n3\n4,5\n");
  auto r = Run("data import bad.csv --name bad");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "bad.csv:3:2: expected 2 fields, found 1");
  EXPECT_CONTAINS(r.err, "3 | 3");
  EXPECT_CONTAINS(Run("data list").out, "No datasets yet");

  r = Run("data import bad.csv --name bad --on-bad-rows skip");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Rejected 1 rows");
  EXPECT_CONTAINS(r.out, "Rows read: 3 = 2 imported + 1 rejected");
  EXPECT_CONTAINS(ReadFile(dir_ / "bad.rejects.jsonl"), "\"text\":\"3\"");

  // The file fixed and imported again: the rejects file left behind is not this import's.
  WriteFile(dir_ / "bad.csv", "a,b\n1,2\n3,4\n4,5\n");
  r = Run("data import bad.csv --name bad --on-bad-rows skip");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: bad.rejects.jsonl is from an earlier import");
  // A file of the user's is never a rejects file: refused before anything is read.
  WriteFile(dir_ / "bad.csv", "a,b\n1,2\n3\n");
  WriteFile(dir_ / "notes.txt", "my notes\n");
  r = Run("data import bad.csv --name bad --on-bad-rows skip --rejects notes.txt");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--rejects notes.txt exists and is not a rejects file");
  EXPECT_EQ(ReadFile(dir_ / "notes.txt"), "my notes\n");
  r = Run("data import bad.csv --name bad --on-bad-rows skip");  // an earlier rejects file
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(ReadFile(dir_ / "bad.rejects.jsonl"), "\"text\":\"3\"");
}

TEST_F(CliTest, ConfigErrorsNameTheKey) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "mloop.yaml", "version: 1\nthread: 2\n");
  auto r = Run("data list");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "unknown key 'thread' (did you mean 'threads'?)");
}

TEST_F(CliTest, WorkspaceFlagAndSqlSource) {
  ASSERT_EQ(Run("init ws").code, 0);
  ASSERT_EQ(std::system(("sqlite3 '" + (dir_ / "src.db").string() +
                         "' 'CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1,\"x\"),"
                         "(2,NULL);'")
                            .c_str()),
            0);
  auto r = Run("--workspace ws data import --sql 'SELECT * FROM t' --db src.db --name q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Imported q@1: 2 rows x 2 columns");
  EXPECT_CONTAINS(Run("-w ws data show q").out, "sqlite:");
  // The global options may follow the command too.
  r = Run("data show q --threads 1 -w ws");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "sqlite:");
  // `-w "$WS"` with WS unset is refused, not run on the workspace found otherwise.
  r = Run("-w '' data list");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "the workspace directory is empty");
}

// A killed import leaves the workspace consistent: the dataset is either complete or absent.
// (Killed at several moments; whichever step each kill lands in, the invariant holds.)
TEST_F(CliTest, KilledImportLeavesNoPartialDataset) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "id,x,s\n";
  for (int i = 0; i < 400000; ++i) {
    csv += std::to_string(i) + "," + std::to_string(i * 0.5) + ",v" + std::to_string(i % 9) + "\n";
  }
  WriteFile(dir_ / "big.csv", csv);
  for (int delay_ms : {5, 40, 120, 300}) {
    std::string cmd = "cd '" + dir_.path().string() + "' && (" + MLOOP_BINARY +
                      " data import big.csv --name big > /dev/null 2>&1 & pid=$!; sleep " +
                      std::to_string(delay_ms / 1000.0) + "; kill -9 $pid 2>/dev/null; wait $pid)";
    std::system(cmd.c_str());
    auto r = Run("data list --json");
    ASSERT_EQ(r.code, 0) << r.err;
    if (r.out.find("\"big\"") != std::string::npos) {
      // It finished before the kill: then it must be whole.
      auto show = Run("data show big --json --rows 0");
      ASSERT_EQ(show.code, 0) << show.err;
      EXPECT_CONTAINS(show.out, "\"rows\": 400000");
    }
  }
  auto r = Run("data import big.csv --name big");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(Run("data show big --rows 0").out, "rows:      400,000");
}

// Ctrl-C or SIGTERM during an import removes the temporary copy of a piped input and the
// artifact being stored, and says so; nothing is recorded.
TEST_F(CliTest, InterruptedImportLeavesNoTemporaryFiles) {
  ASSERT_EQ(Run("init").code, 0);
  std::filesystem::create_directories(dir_ / "tmp");
  // The input pauses after its first rows: the signal comes once the copy of the pipe exists
  // (seen.txt names it), while it is being written.
  std::string cmd = "cd '" + dir_.path().string() +
                    "' && ( (printf 'a,b\\n1,2\\n'; sleep 5) | TMPDIR=tmp " + MLOOP_BINARY +
                    " data import - --name p > out.txt 2> err.txt & pid=$!; for i in $(seq 200); "
                    "do [ -n \"$(ls tmp)\" ] && break; sleep 0.05; done; ls tmp > seen.txt; "
                    "kill -TERM $pid; wait $pid; echo $? > rc.txt)";
  std::system(cmd.c_str());
  EXPECT_CONTAINS(ReadFile(dir_ / "seen.txt"), "mloop-input-");
  EXPECT_EQ(ReadFile(dir_ / "rc.txt"), "143\n");  // ended by SIGTERM
  EXPECT_CONTAINS(ReadFile(dir_ / "err.txt"), "interrupted: nothing more was stored");
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "tmp"));
  EXPECT_CONTAINS(Run("data list").out, "No datasets yet");
}

TEST_F(CliTest, TrainRegisterAliasPredict) {
  ASSERT_EQ(Run("init").code, 0);
  ASSERT_EQ(Run(std::string("data import ") + MLOOP_SOURCE_DIR +
                "/examples/data/breast_cancer.csv --name bc")
                .code,
            0);
  auto r = Run("train bc --target target --param num_boost_round=20 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"roc_auc\"");
  EXPECT_CONTAINS(r.out, "\"run_id\": 1");
  EXPECT_CONTAINS(Run("runs list").out, "finished");
  r = Run("runs show 1 --json");
  EXPECT_CONTAINS(r.out, "\"git_commit\"");
  EXPECT_CONTAINS(r.out, "\"hash\"");

  ASSERT_EQ(Run("models register 1 --name bc").code, 0);
  ASSERT_EQ(Run("models alias bc/1 production").code, 0);
  // Registered by its address or as another version, a model keeps the run that trained it.
  const std::string trained =
      nlohmann::json::parse(Run("runs show 1 --json").out)["model"].get<std::string>();
  for (const std::string& ref : {trained.substr(0, 12), std::string("bc/1")}) {
    ASSERT_EQ(Run("models register " + ref + " --name bc_copy").code, 0);
  }
  for (const char* v : {"bc_copy/1", "bc_copy/2"}) {
    EXPECT_EQ(nlohmann::json::parse(
                  Run(std::string("models show ") + v + " --json").out)["registry"]["run_id"],
              1)
        << v;
  }
  r = Run("models list nosuch");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no registered model 'nosuch'");
  EXPECT_CONTAINS(Run("runs list --experiment nosuch").out, "No runs in experiment 'nosuch'.");
  r = Run("predict bc@production --data bc -o preds.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(ReadFile(dir_ / "preds.csv"), "prediction,probability\n");
  r = Run("models delete bc/1");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "still aliased");
  EXPECT_CONTAINS(Run("models history bc").out, "alias production: (none) -> 1");
  // Aliases that would read as another: `Latest`, or `Production` beside `production`.
  r = Run("models alias bc/1 Latest");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "'Latest' is reserved");
  r = Run("models alias bc/1 Production");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "alias 'Production' differs from bc@production only in case");
  // A name with a newline cannot fake a line of the history table (the JSON keeps it as given).
  setenv("MLOOP_USER", "evil\nregistered version 99", 1);
  ASSERT_EQ(Run("models approve bc/1").code, 0);
  unsetenv("MLOOP_USER");
  r = Run("models history bc");
  EXPECT_CONTAINS(r.out, "evil\\nregistered version 99");
  EXPECT_EQ(r.out.find("\nregistered version 99"), std::string::npos) << r.out;
  EXPECT_CONTAINS(Run("models history bc --json").out,
                  "\"actor\": \"evil\\nregistered version 99\"");
  // The hint for a missing version lists the versions that are there, not a range.
  ASSERT_EQ(Run("models register 1 --name bc").code, 0);
  ASSERT_EQ(Run("models register 1 --name bc").code, 0);
  ASSERT_EQ(Run("models delete bc/2").code, 0);
  EXPECT_CONTAINS(Run("predict bc/2 --data bc").err, "hint: versions of bc: 1, 3");
  // A rejected version keeps its aliases (a rollback may need them), but never unnoticed.
  r = Run("models reject bc/3");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // no alias points at it
  ASSERT_EQ(Run("models alias bc/3 canary").code, 0);
  EXPECT_CONTAINS(Run("models alias bc/3 canary2").err,
                  "warning: bc/3 is Rejected; bc@canary2 serves it all the same");
  r = Run("models reject bc/3");
  EXPECT_CONTAINS(r.err, "warning: bc@canary still points at bc/3 and serves it");
  // Using it predicts all the same, and says so.
  r = Run("predict bc/3 --data bc -o preds3.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "warning: bc/3 is Rejected in the registry; predicting with it all the same");
  ASSERT_EQ(Run("models unalias bc canary").code, 0);
  ASSERT_EQ(Run("models unalias bc canary2").code, 0);

  // Evaluation: metrics, business value, report, quality gates (exit code 3).
  WriteFile(dir_ / "business.yaml",
            "currency: \"$\"\noutcomes: {true_positive: 10, false_positive: -1, true_negative: 0, "
            "false_negative: -5}\n");
  r = Run("eval bc@production --data bc --business business.yaml --html report.html --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"best_threshold\"");
  EXPECT_CONTAINS(ReadFile(dir_ / "report.html"), "<svg");
  r = Run("eval bc@production --data bc --fail-under auc=1.01");
  EXPECT_EQ(r.code, 3);
  EXPECT_CONTAINS(r.err, "quality gate missed: roc_auc");
  EXPECT_EQ(Run("eval bc@production --data bc --fail-under auc=0.5 --fail-over log_loss=5").code,
            0);
  EXPECT_EQ(Run("eval bc@production --data bc --fail-under aucc=0.5").code, 2);
  ASSERT_EQ(Run("predict bc/1 --data bc --keep-input -o p.csv").code, 0);
  r = Run("eval --predictions p.csv --label target --score probability --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"roc_auc\"");
  // A binary model's positive class is its second (1), or --positive's: then the other class's
  // probability is the score. Recall of class 0 = share of its rows scored 1 - p > 0.5.
  const auto as_one = nlohmann::json::parse(Run("eval bc/1 --data bc --json").out);
  EXPECT_EQ(as_one["positive"], "1");
  EXPECT_CONTAINS(Run("eval bc/1 --data bc").out, "(binary, positive class '1')");
  r = Run("eval bc/1 --data bc --positive 0 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto as_zero = nlohmann::json::parse(r.out);
  EXPECT_EQ(as_zero["positive"], "0");
  EXPECT_NEAR(as_zero["metrics"]["roc_auc"].get<double>(),
              as_one["metrics"]["roc_auc"].get<double>(), 1e-12);
  {
    std::istringstream lines(ReadFile(dir_ / "p.csv"));
    std::string line;
    std::getline(lines, line);
    ASSERT_NE(line.find(",target,prediction,probability"), std::string::npos) << line;
    int zeros = 0, found = 0;
    while (std::getline(lines, line)) {
      const size_t probability = line.rfind(','), prediction = line.rfind(',', probability - 1);
      if (line.substr(line.rfind(',', prediction - 1) + 1, 2) != "0,") continue;
      ++zeros;
      found += 1.0 - std::stod(line.substr(line.rfind(',') + 1)) > 0.5;
    }
    EXPECT_DOUBLE_EQ(as_zero["metrics"]["recall"].get<double>(),
                     static_cast<double>(found) / zeros);
  }
  r = Run("eval bc/1 --data bc --positive maybe");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--positive 'maybe' is not a class of the model");
  EXPECT_CONTAINS(r.err, "its classes: 0, 1");
  for (const char* flag : {"--label target", "--score probability", "--task binary"}) {
    r = Run(std::string("eval bc/1 --data bc ") + flag);
    EXPECT_EQ(r.code, 2) << flag;
    EXPECT_CONTAINS(r.err, "applies to --predictions FILE");
  }

  // Bad input: unknown algorithm, parameter, target, model.
  r = Run("train bc --target target --algo xgbost");
  EXPECT_CONTAINS(r.err, "did you mean 'xgboost'");
  r = Run("train bc --target target --param max_dept=3");
  EXPECT_CONTAINS(r.err, "did you mean 'max_depth'");
  // Values are checked by XGBoost before a run is recorded, without its stack trace.
  r = Run("train bc --target target --param max_depth=abc");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "XGBoost refuses the parameters: Invalid Parameter format for max_depth");
  EXPECT_EQ(r.err.find("Stack trace"), std::string::npos);
  EXPECT_EQ(Run("train bc --target target --param num_class=5").code, 2);
  EXPECT_CONTAINS(Run("train bc --target target --param objective=binary:logitraw").err,
                  "objective 'binary:logitraw' is not one mloop trains with");
  r = Run("train bc --target target --param objective=reg:squarederror");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "objective 'reg:squarederror' does not fit a binary target");
  r = Run("train bc --target targt");
  EXPECT_CONTAINS(r.err, "did you mean 'target'");
  EXPECT_CONTAINS(Run("runs list").out, "failed");  // a run that failed is recorded as failed
  // ... with the task its target implies, found by --where.
  EXPECT_CONTAINS(Run("runs list --where 'status = failed and task = binary'").out, "failed");
  EXPECT_EQ(Run("predict bc@staging --data bc").code, 1);
  // Malformed references are usage errors; unknown names are not an empty list.
  EXPECT_EQ(Run("models show bc@").code, 2);
  EXPECT_EQ(Run("predict bc@1prod --data bc").code, 2);
  EXPECT_EQ(Run("models show bc/01").code, 2);
  EXPECT_EQ(Run("models list nosuch --json").code, 1);
  EXPECT_EQ(Run("models list 'bad name'").code, 2);
  // A registered version's address prefix (as `models list` shows it) is a reference; the full
  // address of another artifact is not a damaged bundle.
  const std::string address =
      nlohmann::json::parse(Run("models list bc --json").out)[0]["model"].get<std::string>().substr(
          0, 12);
  EXPECT_CONTAINS(Run("models show " + address).out, "algorithm: xgboost");
  ASSERT_EQ(Run("models export bc/1 -o exported").code, 0);
  const std::string encoding_blob = Sha256Hex(ReadFile(dir_ / "exported" / "encoding.json"));
  r = Run("models show " + encoding_blob);
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "artifact " + encoding_blob.substr(0, 12) + " is not a model bundle");
  // An export into the workspace's state is refused before anything is made there.
  EXPECT_EQ(Run("models export bc/1 -o .mloop/leftover/deeper").code, 2);
  EXPECT_FALSE(std::filesystem::exists(dir_ / ".mloop" / "leftover"));

  // A model file changed on disk is refused, not used to predict something else.
  ASSERT_EQ(Run("models export bc/1 -o exported").code, 0);
  const std::string model_json = ReadFile(dir_ / "exported" / "model.json");
  const std::string hash = Sha256Hex(model_json);
  const auto blob = dir_ / ".mloop" / "artifacts" / "sha256" / hash.substr(0, 2) / hash;
  ASSERT_TRUE(std::filesystem::exists(blob));
  std::filesystem::permissions(blob, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::string damaged = model_json;
  damaged[damaged.find("base_weights") + 16] ^= 1;  // one digit of one weight
  WriteFile(blob, damaged);
  r = Run("predict bc@production --data bc -o p2.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the model's model.json (artifact " + hash.substr(0, 12) + ") is damaged");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "p2.csv"));
}

TEST_F(CliTest, RunsCompareShowsWhatEachRunLearnedFrom) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "d.csv", "x,y\n1,0\n2,0\n3,0\n4,1\n5,1\n6,1\n7,0\n8,1\n9,1\n10,0\n");
  ASSERT_EQ(Run("train d.csv --target y --algo logistic --split none").code, 0);
  auto r = Run("train d.csv --target y --algo logistic --cv 2 --param C=0.5 --tag team=ml");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "2-FOLD CV (MEAN ± STD)");
  r = Run("runs compare 1 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto fields = nlohmann::json::parse(r.out).at("fields");
  EXPECT_EQ(fields.at("tags.team"), nlohmann::json({"", "ml"}));
  // Metrics with every digit, as `runs show --json` has them.
  const auto shown = nlohmann::json::parse(Run("runs show 2 --json").out);
  const double auc = shown.at("metrics").at("roc_auc").get<double>();
  EXPECT_EQ(std::stod(fields.at("metrics.roc_auc").at(1).get<std::string>()), auc);
  EXPECT_EQ(fields.at("dataset"), nlohmann::json({"d@1", "d@1"}));
  EXPECT_EQ(fields.at("cv folds"), nlohmann::json({"", "2"}));
  EXPECT_EQ(fields.at("target"), nlohmann::json({"y", "y"}));
  EXPECT_EQ(fields.at("params.C").at(1), "0.5");
  r = Run("runs compare 1 2");
  ASSERT_EQ(r.code, 0) << r.err;
  const size_t cv = r.out.find("cv folds");
  ASSERT_NE(cv, std::string::npos) << r.out;
  EXPECT_EQ(r.out[r.out.find('\n', cv) - 1], '*');    // the difference is marked
  EXPECT_EQ(r.out.find("\\x1B"), std::string::npos);  // no escape codes, shown or not
  EXPECT_EQ(r.out.find('\033'), std::string::npos);   // (not a terminal)
  // Metrics to 6 significant digits, as docs/cli.md says.
  char six[32];
  std::snprintf(six, sizeof six, "%.6g", auc);
  EXPECT_CONTAINS(r.out, std::string("  ") + six + " ");
  EXPECT_EQ(Run("runs compare 1").code, 2);
  EXPECT_EQ(Run("runs compare 1 99").code, 1);
  // --diff: only the fields that differ; none when the runs agree in all.
  r = Run("runs compare 1 2 --diff");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "cv folds");
  EXPECT_CONTAINS(r.out, "params.C");
  EXPECT_EQ(r.out.find("target"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("dataset"), std::string::npos) << r.out;
  const auto differing = nlohmann::json::parse(Run("runs compare 1 2 --diff --json").out)["fields"];
  EXPECT_FALSE(differing.contains("target"));
  EXPECT_EQ(differing.at("cv folds"), nlohmann::json({"", "2"}));
  // --limit keeps the first N after --sort, and says how many there were.
  r = Run("runs list --sort id:asc --limit 1");
  EXPECT_CONTAINS(r.out, "(1 of 2 runs; --limit 0 lists all)");
  EXPECT_EQ(nlohmann::json::parse(Run("runs list --sort id:asc --limit 1 --json").out)[0]["id"], 1);
  EXPECT_EQ(Run("runs list --limit -1").code, 2);
  EXPECT_EQ(Run("runs compare 2 2").code, 2);  // one run twice
  // --valid by name and by file of the same version record the same split: valid:NAME@V.
  ASSERT_EQ(Run("train d.csv --target y --algo logistic -q --valid d").code, 0);
  ASSERT_EQ(Run("train d.csv --target y --algo logistic -q --valid d.csv").code, 0);
  EXPECT_EQ(nlohmann::json::parse(Run("runs compare 3 4 --json").out)["fields"]["split"],
            nlohmann::json({"valid:d@1", "valid:d@1"}));
  EXPECT_CONTAINS(Run("runs compare 3 4 --diff").out, "The runs agree in every field");
  EXPECT_EQ(Run("runs compare 1 2").out.find(" \n"), std::string::npos);  // no trailing spaces
  EXPECT_CONTAINS(Run("runs show 2").out, "  tags:      team=ml\n");
  // A tag given twice is an error, not the last one kept; so is an "and" with nothing after it.
  EXPECT_EQ(Run("train d.csv --target y --algo logistic -q --tag a=1 --tag a=2").code, 2);
  EXPECT_EQ(Run("runs list --where 'id = 1 and'").code, 2);
  // A --sort field no run has, and a misspelt experiment, are pointed out.
  EXPECT_CONTAINS(Run("runs list --sort metrics.nothing:asc").err,
                  "note: no run listed has metrics.nothing, so --sort left the order as it was");
  r = Run("train d.csv --target y --algo logistic -q --experiment Default");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "experiment 'Default' differs from the existing 'default' only in case");
  EXPECT_CONTAINS(Run("runs list --experiment defalt").err,
                  "note: no experiment 'defalt' (did you mean 'default'?)");
}

// Without a validation part, the cross-validation's metrics are printed (they were recorded
// but the output said only "no metrics").
TEST_F(CliTest, CrossValidationWithoutSplitPrintsItsMetrics) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "x,y\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + std::to_string(i % 3 == 0) + "\n";
  WriteFile(dir_ / "d.csv", csv);
  auto r = Run("train d.csv --target y --algo logistic --cv 3 --split none");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Cross-validation on the training data:");
  EXPECT_CONTAINS(r.out, "3-FOLD CV (MEAN ± STD)");
  EXPECT_CONTAINS(r.out, "roc_auc");
  // 2 negatives among 30 rows: 3 of 5 folds validate on positives alone, where ROC AUC is
  // undefined; the mean says over how many folds it is.
  csv = "x,y\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + (i < 2 ? "0" : "1") + "\n";
  WriteFile(dir_ / "rare.csv", csv);
  r = Run("train rare.csv --target y --algo logistic --cv 5 --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["cv"]["roc_auc"]["folds"], 2);
  EXPECT_EQ(j["cv"]["accuracy"]["folds"], 5);
  r = Run("train rare.csv --target y --algo logistic --cv 5 --split none");
  EXPECT_CONTAINS(r.out, " (2 of 5 folds)");
}

// A data file given to train is imported as a dataset named after it, and the run's lineage
// points at that version; training the same file again reuses it.
// What the command line can tell is wrong exits 2 before a run is recorded; data that cannot
// make a model exits 1 with the reason.
TEST_F(CliTest, TrainRefusesWhatCannotMakeAModel) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "day,cat,cat=b,x,y\n";
  for (int i = 0; i < 20; ++i) {
    csv += "2024-05-01," + std::string(i % 2 ? "a" : "b") + "," + std::to_string(i % 3) + "," +
           std::to_string(i) + "," + std::to_string(i % 2) + "\n";
  }
  WriteFile(dir_ / "d.csv", csv);
  ASSERT_EQ(Run("data import d.csv --name d").code, 0);
  auto r = Run("train d");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "xgboost needs a target: --target COL");
  r = Run("train d -t y -p eta=0.1 -p eta=0.3");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--param eta is given twice");
  r = Run("train d -t y -a random_forest -p eta=0.1 -p learning_rate=0.2");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "eta and learning_rate are one XGBoost parameter");
  EXPECT_EQ(Run("train d -t y --experiment ''").code, 2);
  r = Run("train d -t y --experiment 'a b/c'");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "invalid experiment name 'a b/c'");
  // What the dataset tells is wrong exits 1 before a run is recorded too.
  r = Run("train d -t why");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: no column 'why'");
  EXPECT_CONTAINS(Run("train d -t y --split time:dya").err, "error: no column 'dya'");
  r = Run("train d -t y --split time:cat");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: --split time:cat: the column is string; a time split orders");
  EXPECT_CONTAINS(Run("train d -t y --cv 21").err,
                  "error: cross-validation needs 2 to 20 folds, not 21");
  // Validation data without the target or a feature: named as --valid's, before a run.
  WriteFile(dir_ / "v_nolabel.csv", "day,cat,cat=b,x\n2024-05-02,a,1,3\n");
  r = Run("train d -t y --valid v_nolabel.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "error: --valid v_nolabel.csv has no column 'y', the target");
  WriteFile(dir_ / "v_nox.csv", "day,cat,cat=b,y\n2024-05-02,a,1,1\n");
  r = Run("train d -t y --valid v_nox.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "error: --valid v_nox.csv has no column 'x', a feature of the training data");
  EXPECT_CONTAINS(Run("runs list").out, "No runs yet");  // none of these made a run
  EXPECT_CONTAINS(Run("train d -t y --split rando").err,
                  "unknown split 'rando' (did you mean 'random'?)");
  // Every row at one time: a time split has nothing before the validation period.
  r = Run("train d -t y --split time:day");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "leaves no rows to train on: all 20 rows went to the validation part");
  // A column named like a category's one-hot feature.
  r = Run("train d -t y --split none");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "two features are named 'cat=b'");
  // random_forest's default learning_rate gives way to the user's eta (XGBoost applied the
  // default when given both).
  WriteFile(dir_ / "e.csv", "x,y\n1,1.5\n2,2.5\n3,2\n4,5\n5,4\n6,7\n");
  r = Run(
      "train e.csv -t y -a random_forest -p eta=0.3 -p num_parallel_tree=2 --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto run = nlohmann::json::parse(r.out).at("run_id").get<int>();
  ASSERT_EQ(Run("models export " + std::to_string(run) + " -o rf").code, 0);
  const std::string config = ReadFile(dir_ / "rf" / "config.json");
  EXPECT_CONTAINS(config, "\"eta\":\"0.3\"");
  EXPECT_EQ(config.find("learning_rate"), std::string::npos) << config;
  // A solver stopped at max_iter says so, as scikit-learn's ConvergenceWarning, and the bundle
  // keeps it.
  WriteFile(dir_ / "f.csv", "x,z,y\n1,3,0\n2,1,0\n3,4,1\n4,1,0\n5,5,1\n6,9,1\n7,2,0\n8,6,1\n");
  r = Run("train f.csv -t y -a logistic -p max_iter=1 --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: logistic: did not converge in max_iter=1 iterations");
  EXPECT_CONTAINS(r.out, "\"warnings\": [");
  const auto unconverged = nlohmann::json::parse(r.out).at("run_id").get<int>();
  ASSERT_EQ(Run("models export " + std::to_string(unconverged) + " -o lg").code, 0);
  EXPECT_CONTAINS(ReadFile(dir_ / "lg" / "manifest.json"),
                  "logistic: did not converge in max_iter=1 iterations");
  // The output schema names the predicted label in the target's type (0/1: int64), as predict
  // writes it.
  const auto manifest = nlohmann::json::parse(ReadFile(dir_ / "lg" / "manifest.json"));
  EXPECT_EQ(manifest.at("output_schema"),
            nlohmann::json::parse(R"([{"name": "prediction", "type": "int64"},
                                      {"name": "probability", "type": "float64"}])"));
  // The report's importance axis says what a linear model's importance is.
  ASSERT_EQ(Run("eval " + std::to_string(unconverged) + " --data f.csv --html lg.html").code, 0);
  const std::string report = ReadFile(dir_ / "lg.html");
  EXPECT_CONTAINS(report, "|coefficient|");
  EXPECT_EQ(report.find(">gain<"), std::string::npos);
  r = Run("train f.csv -t y -a logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  // Listing: a filter on a field no run has says so.
  r = Run("runs list --where 'algorithm = logistic' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).size(), 2u);
  r = Run("runs list --where 'metrics.auc > 0.5'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "No run matches.");
  EXPECT_CONTAINS(r.err, "note: no run has metrics.auc (the metric is metrics.roc_auc)");
  // A target declared at import is the default.
  ASSERT_EQ(Run("data import f.csv --name dt --target y").code, 0);
  r = Run("train dt -a logistic");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "(target y, declared at import)");
  EXPECT_CONTAINS(r.out, "logistic (binary)");
  EXPECT_CONTAINS(Run("profile dt").out, "target: y (binary)");
  r = Run("train dt -a kmeans -p n_clusters=2");  // clustering leaves the target out
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "(clustering)");
}

// A split that leaves a class out of the training rows, or a time split whose ties moved the
// cut far from the share asked, trains with a warning (on stderr, in --json and the manifest).
TEST_F(CliTest, SplitsThatMisleadAreWarnedOf) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "day,x,y\n";
  for (int i = 0; i < 40; ++i) {
    csv += std::to_string(i < 10   ? 0
                          : i < 30 ? 1
                                   : 2) +
           "," + std::to_string(i % 7) + "," + (i < 30 ? "0" : "1") + "\n";
  }
  WriteFile(dir_ / "d.csv", csv);
  auto r = Run("train d.csv -t y --split time:day -q -p num_boost_round=2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  // day 2 holds the last 10 rows (25%, near the 20% asked), and every row of class 1
  EXPECT_CONTAINS(r.err,
                  "warning: no training row of the split time:day:0.2 has class '1' of 'y' (only "
                  "the validation part has): the model can never predict it; split another way");
  EXPECT_EQ(r.err.find("in the validation part, not"), std::string::npos);
  EXPECT_CONTAINS(r.out, "no training row of the split");
  EXPECT_CONTAINS(Run("models show 1 --json").out, "no training row of the split");
  // 30% is 12 rows: the cut falls inside day 1 (20 rows), which stays whole on the later side
  r = Run("train d.csv -t y --split time:day:0.3 -q -p num_boost_round=2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "warning: the time split put 30 of 40 rows (75%) in the validation part, not "
                  "30%: rows of one time of 'day' stay on one side of the cut");
  // A stratified split keeps every class on both sides: no warning.
  r = Run("train d.csv -t y -q -p num_boost_round=2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST_F(CliTest, TrainOnAFileImportsItFirst) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "train set.csv", "x,y\n1,0\n2,0\n3,0\n4,1\n5,1\n6,1\n7,0\n8,1\n");
  auto r = Run("train 'train set.csv' --target y --algo logistic --split none");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "imported train set.csv as train_set@1 (8 rows)");
  EXPECT_CONTAINS(Run("data list").out, "train_set");
  r = Run("train 'train set.csv' --target y --algo logistic --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"dataset\": \"train_set@1\"");
  EXPECT_CONTAINS(Run("runs show 2 --json").out, "\"name\": \"train_set\"");
  // A plain name of a stored dataset is the dataset even beside a stray file of that name
  // (importing the file made it the dataset's latest version); a plain name of no dataset is the
  // file.
  WriteFile(dir_ / "train_set", "a,b\n1,2\n");
  r = Run("train train_set --target y --algo logistic --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"dataset\": \"train_set@1\"");
  EXPECT_EQ(Run("profile train_set --json").code, 0);
  EXPECT_CONTAINS(Run("data list").out, "train_set  1       1 ");
  WriteFile(dir_ / "plainfile", "x,y\n1,0\n2,1\n3,0\n4,1\n");
  r = Run("train plainfile --target y --algo logistic --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"dataset\": \"plainfile@1\"");
  // A validation file is imported the same way; a missing file is a dataset name and not found.
  r = Run("train 'train set.csv' --target y --algo logistic --valid 'train set.csv' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"valid_rows\": 8");
  // Labels match by value (1.0 written by pandas is the class 1); labels that are no class of
  // the training data are an error, never left out silently.
  WriteFile(dir_ / "float labels.csv", "x,y\n1,0.0\n2,0.0\n5,1.0\n6,1.0\n");
  r = Run("train 'train set.csv' --target y --algo logistic --valid 'float labels.csv' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"valid_rows\": 4");
  WriteFile(dir_ / "word labels.csv", "x,y\n1,no\n2,no\n5,yes\n6,0\n");
  r = Run("train 'train set.csv' --target y --algo logistic --valid 'word labels.csv'");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "the validation data has 3 rows whose 'y' is not a class of the training data "
                  "('no', 'yes'); the classes are 0, 1");
  EXPECT_EQ(Run("train 'train set.csv' --target y --cv 0").code, 2);
  for (const char* seed : {"-1", "18446744073709551616", "1e3"}) {
    EXPECT_EQ(Run(std::string("train 'train set.csv' --target y --seed ") + seed).code, 2) << seed;
  }
  // predict and eval read JSON Lines files too; a NaN quality gate would never fail.
  WriteFile(dir_ / "rows.jsonl", "{\"x\": 1, \"y\": 0}\n{\"x\": 8, \"y\": 1}\n");
  r = Run("predict 1 --data rows.jsonl");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Run("eval 1 --data rows.jsonl --fail-under roc_auc=nan").code, 2);
  r = Run("train missing.csv --target y");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no file 'missing.csv' (nor a dataset of that name)");
  // Another directory's file of the same name is a new version of that dataset: said when its
  // columns are others, even with -q.
  std::filesystem::create_directory(dir_ / "other");
  WriteFile(dir_ / "other" / "train set.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n");
  r = Run("train 'other/train set.csv' --target y --algo logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: train_set@2 has other columns than train_set@1 (from ");
  EXPECT_CONTAINS(r.err, "): new a, b; gone x; `mloop data import FILE --name OTHER` keeps");
  // A reader that goes away (`| head -1`) does not kill the training: the run finishes.
  // (`true` reads nothing and is gone at once; pipefail makes the status mloop's.)
  const std::string piped = "bash -c \"set -o pipefail; cd '" + dir_.path().string() + "' && " +
                            MLOOP_BINARY +
                            " train 'train set.csv' --target y --algo xgboost 2>&1 | true\"";
  ASSERT_EQ(std::system(piped.c_str()), 0);  // not killed by SIGPIPE (141), at exit either
  const auto runs = nlohmann::json::parse(Run("runs list --json").out);
  EXPECT_EQ(runs[0]["algorithm"], "xgboost");
  EXPECT_EQ(runs[0]["status"], "finished");
}

// A model moves to another workspace whole: `models export` there, `models import DIR` here
// keeps its address, classes, target, recipe and metrics, and predicts the same, for every
// algorithm (not only XGBoost, whose model.json alone XGBoost reads).
TEST_F(CliTest, ExportedModelsMoveBetweenWorkspaces) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "size,colour,label\n";
  for (int i = 0; i < 60; ++i) {
    csv += std::to_string(i % 13) + "," + (i % 3 == 0 ? "red" : "blue") + "," +
           (i % 13 > 6 ? "yes" : "no") + "\n";
  }
  WriteFile(dir_ / "d.csv", csv);
  WriteFile(dir_ / "r.yaml", "steps:\n  - derive: size2 = size * size\n");
  for (const char* algo : {"xgboost -p num_boost_round=3", "logistic --recipe r.yaml"}) {
    ASSERT_EQ(Run(std::string("train d.csv -t label -q --split none --algo ") + algo).code, 0);
  }
  ASSERT_EQ(Run("train d.csv -q --algo kmeans -p k=2").code, 0);
  ASSERT_EQ(Run("init other").code, 0);
  int run = 0;
  for (const char* name : {"gb", "lr", "km"}) {
    ++run;
    const std::string dir = std::string("exp_") + name;
    ASSERT_EQ(Run("models register " + std::to_string(run) + " -n " + name).code, 0);
    ASSERT_EQ(Run("models export " + std::string(name) + "/1 -o " + dir).code, 0);
    auto r = Run("-w other models import " + dir + " -n moved_" + name);
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string here =
        nlohmann::json::parse(Run("models list " + std::string(name) + " --json").out)[0]["model"];
    EXPECT_CONTAINS(r.out, "as moved_" + std::string(name) + "/1 (");
    EXPECT_CONTAINS(r.out, "address " + here.substr(0, 12) + ")");
    ASSERT_EQ(Run("predict " + std::string(name) + "/1 -d d.csv -o here.csv").code, 0);
    ASSERT_EQ(Run("-w other predict moved_" + std::string(name) + "/1 -d d.csv -o there.csv").code,
              0);
    EXPECT_EQ(ReadFile(dir_ / "here.csv"), ReadFile(dir_ / "there.csv")) << name;
    r = Run("-w other models show moved_" + std::string(name) + "/1");
    EXPECT_CONTAINS(r.out, "about:     imported from " + (dir_ / dir).string());
    EXPECT_CONTAINS(r.out, "(run " + std::to_string(run) + " of the workspace it was trained in)");
  }
  EXPECT_CONTAINS(ReadFile(dir_ / "here.csv"), "cluster");
  // A run of this workspace with the number of the imported model's run is another run: a
  // registration of the imported version is not linked to it.
  ASSERT_EQ(Run("-w other train d.csv -t label -q -a logistic --split none").code, 0);
  ASSERT_EQ(Run("-w other models register moved_gb/1 -n again").code, 0);
  EXPECT_EQ(nlohmann::json::parse(Run("-w other models list again --json").out)[0]["run_id"], 0);
  // Clustering fits every row: its lineage records no split.
  EXPECT_EQ(nlohmann::json::parse(Run("runs show 3 --json").out)["lineage"]["split"], "none");
  auto r = Run("-w other eval moved_lr/1 --data d.csv --json");  // the target came along
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"roc_auc\"");
  // The export's manifest.json names the directory too; a linear model's model.json alone is
  // no XGBoost model, and the hint says to import the directory.
  r = Run("-w other models import exp_lr/manifest.json -n moved_lr");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "as moved_lr/2 (");
  r = Run("-w other models import exp_lr/model.json -n raw");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "hint: it is a part of an mloop model export: import the whole "
                  "directory");
  r = Run("-w other models import exp_gb/model.json -n raw");  // XGBoost's file alone: a note
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: it is a part of an mloop model export");
  // Another model under the same name says what changed for its clients.
  r = Run("-w other models import exp_km -n moved_lr");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: moved_lr/3 is ");
  // What an XGBoost file needs, an export carries; a directory that is no export is refused.
  r = Run("-w other models import exp_gb -n x --classes a,b");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--classes describes an XGBoost model file");
  std::filesystem::create_directory(dir_ / "empty");
  r = Run("-w other models import empty -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'empty' has no manifest.json: it is not a model export");
  // Parts of different exports do not make a model: refused at import, not at predict.
  std::string manifest;
  std::filesystem::copy(dir_ / "exp_gb", dir_ / "mixed");
  std::filesystem::copy_file(dir_ / "exp_km" / "target.json", dir_ / "mixed" / "target.json",
                             std::filesystem::copy_options::overwrite_existing);
  r = Run("-w other models import mixed -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'mixed' does not load as a model: ");
  std::filesystem::copy_file(dir_ / "exp_gb" / "target.json", dir_ / "mixed" / "target.json",
                             std::filesystem::copy_options::overwrite_existing);
  manifest = ReadFile(dir_ / "mixed" / "manifest.json");
  ASSERT_NE(manifest.find("\"yes\""), std::string::npos) << manifest;
  manifest.replace(manifest.find("\"yes\""), 5, "\"oui\"");
  WriteFile(dir_ / "mixed" / "manifest.json", manifest);
  r = Run("-w other models import mixed -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the manifest's classes [\"no\",\"oui\"] are not target.json's");
  std::filesystem::remove(dir_ / "exp_gb" / "config.json");
  r = Run("-w other models import exp_gb -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'exp_gb' has no config.json");
  WriteFile(dir_ / "exp_lr" / "model.json", "{}");
  r = Run("-w other models import exp_lr -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'exp_lr' does not load as a model: ");
  manifest = ReadFile(dir_ / "exp_km" / "manifest.json");
  manifest.replace(manifest.find("\"format_version\": 3"), 19, "\"format_version\": 9");
  WriteFile(dir_ / "exp_km" / "manifest.json", manifest);
  r = Run("-w other models import exp_km -n x");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "holds a model of bundle format 9; this mloop reads up to 3");
  EXPECT_CONTAINS(Run("-w other models list x").err, "no registered model 'x'");
}

// An XGBoost model trained in Python is imported, registered, and predicts what Python predicts.
TEST_F(CliTest, ImportPythonXGBoostModel) {
  ASSERT_EQ(Run("init").code, 0);
  std::string data = std::string(MLOOP_SOURCE_DIR) + "/examples/data/breast_cancer.csv";
  ASSERT_EQ(Run("data import " + data + " --name bc").code, 0);
  ASSERT_EQ(RunPython(R"(
import sys, pandas as pd, xgboost as xgb
df = pd.read_csv(sys.argv[1]); y = df.pop("target")
b = xgb.train({"objective": "binary:logistic", "max_depth": 3, "nthread": 1}, xgb.DMatrix(df, label=y), 15)
b.save_model(sys.argv[2] + "/py_model.json")
pd.DataFrame({"p": b.predict(xgb.DMatrix(df))}).to_csv(sys.argv[2] + "/py_pred.csv", index=False)
c = xgb.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.5, early_stopping_rounds=5,
                      eval_metric="logloss", n_jobs=1)
c.fit(df[:300], y[:300], eval_set=[(df[300:], y[300:])], verbose=False)
assert c.best_iteration + 1 < c.get_booster().num_boosted_rounds()
c.save_model(sys.argv[2] + "/sk_model.json")
with open(sys.argv[2] + "/sk_pred.txt", "w") as f:
    f.write("%d %d\n" % (c.best_iteration, c.get_booster().num_boosted_rounds()))
    for p in c.predict_proba(df)[:, 1]: f.write(repr(float(p)) + "\n")
)",
                      {data, dir_.path().string()}),
            0);
  auto r = Run("models import py_model.json --name pymodel --target target");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "as pymodel/1 (binary, 30 input columns)");
  ASSERT_EQ(Run("predict pymodel/1 --data bc -o ours.csv").code, 0);
  std::istringstream ours(ReadFile(dir_ / "ours.csv")), theirs(ReadFile(dir_ / "py_pred.csv"));
  std::string a, b;
  std::getline(ours, a);
  std::getline(theirs, b);
  int rows = 0;
  while (std::getline(ours, a) && std::getline(theirs, b)) {
    double pa = std::stod(a.substr(a.find(',') + 1)), pb = std::stod(b);
    EXPECT_NEAR(pa, pb, 1e-6) << "row " << rows;
    ++rows;
  }
  EXPECT_EQ(rows, 569);
  r = Run("eval pymodel/1 --data bc --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"roc_auc\"");
  // An early-stopped scikit-learn model keeps the rounds up to best_iteration, and predicts
  // what predict_proba does (floats, bit for bit); --all-rounds keeps every round.
  std::istringstream sk(ReadFile(dir_ / "sk_pred.txt"));
  int best = 0, all = 0;
  sk >> best >> all;
  r = Run("models import sk_model.json --name sk");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "kept rounds 1-" + std::to_string(best + 1) + " of " + std::to_string(all));
  ASSERT_EQ(Run("predict sk/1 --data bc -o sk.csv").code, 0);
  std::istringstream sk_ours(ReadFile(dir_ / "sk.csv"));
  std::getline(sk_ours, a);
  rows = 0;
  for (double want; sk >> want; ++rows) {
    ASSERT_TRUE(std::getline(sk_ours, a));
    EXPECT_EQ(static_cast<float>(std::stod(a.substr(a.find(',') + 1))), static_cast<float>(want))
        << "row " << rows;
  }
  EXPECT_EQ(rows, 569);
  r = Run("eval sk/1 --data bc");  // imported without --target
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the model names no target column to evaluate against");
  r = Run("models import sk_model.json --name sk_all --all-rounds");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("kept rounds"), std::string::npos);
  // Its export predicts every round in Python too: no best_iteration left to stop at.
  ASSERT_EQ(Run("models export sk_all/1 -o sk_all_export").code, 0);
  EXPECT_EQ(ReadFile(dir_ / "sk_all_export" / "model.json").find("best_iteration"),
            std::string::npos);
  // A wrong feature list is refused with the count the model needs.
  r = Run("models import py_model.json --name bad --features a,b");
  EXPECT_CONTAINS(r.err, "the model takes 30 features, 2 were named");
  r = Run("models import py_model.json --name bad --features a,b,a");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "feature 'a' is named twice in --features");
}

// Models mloop could only mispredict are refused at import: several targets at once (the
// first target's leaves were read as the only one), and categorical features (codes known
// only to the pandas frame of the training).
TEST_F(CliTest, ModelsImportRefusesMultiOutputAndCategoricalModels) {
  ASSERT_EQ(Run("init").code, 0);
  ASSERT_EQ(RunPython(R"(
import sys, numpy as np, pandas as pd, xgboost as xgb
r = np.random.default_rng(0)
X = r.normal(size=(200, 3))
y = X[:, 0] + X[:, 1]
xgb.XGBRegressor(n_estimators=3, max_depth=2, tree_method="hist").fit(
    X, np.stack([y, 2 * y], 1)).save_model(sys.argv[1] + "/multi.json")
d = pd.DataFrame({"a": X[:, 0], "cat": pd.Categorical(r.choice(["x", "y"], 200))})
xgb.XGBClassifier(n_estimators=3, max_depth=2, tree_method="hist", enable_categorical=True).fit(
    d, (y > 0).astype(int)).save_model(sys.argv[1] + "/cat.json")
)",
                      {dir_.path().string()}),
            0);
  auto r = Run("models import multi.json --name multi --target y");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the model predicts 2 targets at once (num_target)");
  r = Run("models import cat.json --name cat --target y");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "feature 'cat' is categorical in the model (enable_categorical)");
  EXPECT_CONTAINS(Run("models list").out + Run("models list").err, "No registered models");
}

// A pandas bool column is XGBoost's indicator feature (type "i"): imported, the model takes
// true/false (and 0/1) for it and predicts what predict_proba does.
TEST_F(CliTest, ImportedModelTakesItsBooleanFeaturesAsTrueAndFalse) {
  ASSERT_EQ(Run("init").code, 0);
  ASSERT_EQ(RunPython(R"(
import sys, numpy as np, pandas as pd, xgboost as xgb
r = np.random.default_rng(0)
d = pd.DataFrame({"a": r.normal(size=500), "b": r.random(500) < 0.5})
y = ((d.a > 0) ^ d.b).astype(int)
clf = xgb.XGBClassifier(n_estimators=10, max_depth=3, n_jobs=1).fit(d, y)
assert clf.get_booster().feature_types == ["float", "i"], clf.get_booster().feature_types
clf.save_model(sys.argv[1] + "/m.json")
clf.save_model(sys.argv[1] + "/m.ubj")
d.assign(y=y).to_csv(sys.argv[1] + "/d.csv", index=False)  # b written True / False
with open(sys.argv[1] + "/p.txt", "w") as f:
    for p in clf.predict_proba(d)[:, 1]: f.write(repr(float(p)) + "\n")
)",
                      {dir_.path().string()}),
            0);
  auto r = Run("models import m.ubj --name pyb --target y");  // XGBoost's binary JSON
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "this is an XGBoost model in UBJSON");
  r = Run("models import m.json --name pyb --target y");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(Run("models show pyb/1 --json").out)["manifest"]["input_schema"],
            nlohmann::json::parse(R"([{"name": "a", "type": "float64"},
                                      {"name": "b", "type": "bool"}])"));
  r = Run("predict pyb/1 --data d.csv -o ours.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ExpectSameProbabilities("ours.csv", "p.txt"), 500);
  r = Run("eval pyb/1 --data d.csv --json");
  ASSERT_EQ(r.code, 0) << r.err;
  // The same row as true, 1, 1.0 and JSON true predicts the same.
  WriteFile(dir_ / "one.csv", "a,b\n0.5,true\n0.5,1\n0.5,1.0\n0.5,FALSE\n");
  WriteFile(dir_ / "one.jsonl", "{\"a\": 0.5, \"b\": true}\n{\"a\": 0.5, \"b\": 1}\n");
  r = Run("predict pyb/1 --data one.csv -o -");
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<std::string> p;
  for (std::string l; std::getline(lines, l);) p.push_back(l);
  ASSERT_EQ(p.size(), 5u) << r.out;
  EXPECT_EQ(p[1], p[2]);
  EXPECT_EQ(p[1], p[3]);
  EXPECT_NE(p[1], p[4]);
  r = Run("predict pyb/1 --data one.jsonl -o -");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, p[1].substr(p[1].find(',')));
  EXPECT_EQ(Run("predict pyb/1 --data one.jsonl -o -").out.find(p[4].substr(p[4].find(','))),
            std::string::npos);
  WriteFile(dir_ / "bad.csv", "a,b\n0.5,0.5\n");
  EXPECT_CONTAINS(Run("predict pyb/1 --data bad.csv").err,
                  "column 'b' was bool in the data the model or recipe was fitted on");
}

// A scikit-learn model trained with missing=-999.0 reads -999 as missing: imported, it predicts
// what predict_proba does (before, the 10% of rows holding -999 differed by up to 0.09). Its own
// feature names in another order are refused; other names rename the inputs with a warning.
TEST_F(CliTest, ImportedSklearnModelKeepsItsMissingValue) {
  ASSERT_EQ(Run("init").code, 0);
  ASSERT_EQ(RunPython(R"(
import sys, numpy as np, pandas as pd, xgboost as xgb
from sklearn.datasets import make_classification
X, y = make_classification(600, 4, random_state=0)
X = pd.DataFrame(X, columns=["a", "b", "c", "d"])
X.loc[np.random.default_rng(1).random(600) < 0.15, "c"] = -999.0
clf = xgb.XGBClassifier(n_estimators=20, max_depth=3, missing=-999.0, n_jobs=1).fit(X, y)
clf.save_model(sys.argv[1] + "/m.json")
X.assign(label=y).to_csv(sys.argv[1] + "/d.csv", index=False)
with open(sys.argv[1] + "/p.txt", "w") as f:
    for p in clf.predict_proba(X)[:, 1]: f.write(repr(float(p)) + "\n")
)",
                      {dir_.path().string()}),
            0);
  auto r = Run("models import m.json --name sk --target label");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "input values equal to -999.0 are read as missing");
  ASSERT_EQ(Run("predict sk/1 --data d.csv -o ours.csv").code, 0);
  EXPECT_EQ(ExpectSameProbabilities("ours.csv", "p.txt"), 600);
  // An imported model (no run) is found by the address prefix `models list` shows.
  const std::string address =
      nlohmann::json::parse(Run("models list sk --json").out)[0]["model"].get<std::string>().substr(
          0, 12);
  EXPECT_EQ(Run("predict " + address + " --data d.csv -o by_address.csv").code, 0);
  r = Run("models import m.json --name sk --features d,c,b,a");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--features puts the model's own feature 'd' at position 1");
  // One name of the file's at another position is a swap too, even beside a rename.
  r = Run("models import m.json --name sk --features b,a,x,d");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "--features puts the model's own feature 'b' at position 1; the file stores it "
                  "at position 2 (its order: a,b,c,d)");
  r = Run("models import m.json --name sk --features a,b,x,d");  // renames c in its place
  ASSERT_EQ(r.code, 0) << r.err;
  r = Run("models import m.json --name sk --features w,x,y,z");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: --features renames the model's features");
  EXPECT_EQ(Run("models import m.json --name sk --features ' a,b,c,d'").code, 2);
  EXPECT_EQ(Run("models import m.json --name sk --target ''").code, 2);
  r = Run("models import m.json --name sk --target a");
  EXPECT_CONTAINS(r.err, "--target 'a' is one of the model's inputs");
}

// A multiclass model trained in Python on label-encoded classes gets its labels back with
// --classes: predict names them (and the probabilities equal Python's), eval reads the text
// labels; a wrong count, a repeat or a regression model is refused.
TEST_F(CliTest, ImportedModelNamesItsClasses) {
  ASSERT_EQ(Run("init").code, 0);
  ASSERT_EQ(RunPython(R"(
import sys, numpy as np, pandas as pd, xgboost as xgb
rng = np.random.default_rng(3)
X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
y = np.argmax(X.values + rng.normal(scale=0.5, size=(300, 3)), axis=1)
b = xgb.train({"objective": "multi:softprob", "num_class": 3, "max_depth": 3, "nthread": 1},
              xgb.DMatrix(X, label=y), 10)
b.save_model(sys.argv[1] + "/m.json")
X.assign(kind=np.array(["low", "mid", "high"])[y]).to_csv(sys.argv[1] + "/d.csv", index=False)
with open(sys.argv[1] + "/p.txt", "w") as f:
    for p in b.predict(xgb.DMatrix(X))[:, 2]: f.write(repr(float(p)) + "\n")
r = xgb.train({"objective": "reg:squarederror", "nthread": 1}, xgb.DMatrix(X, label=y), 2)
r.save_model(sys.argv[1] + "/r.json")
)",
                      {dir_.path().string()}),
            0);
  auto r = Run("models import m.json --name k --classes low,mid,high --target kind");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(Run("predict k/1 --data d.csv -o ours.csv").code, 0);
  const std::string ours = ReadFile(dir_ / "ours.csv");
  EXPECT_EQ(ours.substr(0, ours.find('\n')),
            "prediction,probability_low,probability_mid,probability_high");
  // The third class's probability, against Python's.
  std::istringstream lines(ours), want(ReadFile(dir_ / "p.txt"));
  std::string line;
  std::getline(lines, line);
  int rows = 0;
  for (double p; want >> p && std::getline(lines, line); ++rows) {
    EXPECT_EQ(static_cast<float>(std::stod(line.substr(line.rfind(',') + 1))),
              static_cast<float>(p))
        << "row " << rows;
  }
  EXPECT_EQ(rows, 300);
  r = Run("eval k/1 --data d.csv --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["metrics"]["accuracy"].get<double>(), 0.8);
  r = Run("models show k/1 --json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["manifest"]["classes"],
            nlohmann::json::parse(R"(["low", "mid", "high"])"));
  r = Run("models import m.json --name k --classes low,high");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "the model has 3 classes (objective multi:softprob), and --classes "
                  "names 2");
  EXPECT_CONTAINS(Run("models import m.json --name k --classes a,b,a").err,
                  "--classes names 'a' twice");
  EXPECT_CONTAINS(Run("models import r.json --name k --classes a,b").err,
                  "--classes names the classes of a classifier, and this model is a regression");
  EXPECT_EQ(Run("models import m.json --name k --classes ''").code, 2);
  EXPECT_EQ(Run("models import m.json --name k --classes 'a,,b'").code, 2);
}

// predict --keep-input writes the columns the model does not read as they were written (an id
// 007 was written 7), and the output's name picks its format as data export's does.
TEST_F(CliTest, PredictKeepsInputTextAndNamesOutputFormats) {
  ASSERT_EQ(Run("init").code, 0);
  std::string csv = "x,y\n";
  for (int i = 0; i < 30; ++i) csv += std::to_string(i) + "," + std::to_string(i % 2) + "\n";
  WriteFile(dir_ / "t.csv", csv);
  ASSERT_EQ(Run("train t.csv -t y -a logistic --split none -q").code, 0);
  WriteFile(dir_ / "ids.csv", "id,x,note\n007,1,1e5\n010,2,x\n");
  auto r = Run("predict 1 -d ids.csv --keep-input");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "id,x,note,prediction,probability\n007,1,1e5,");
  EXPECT_CONTAINS(r.out, "\n010,2,x,");
  ASSERT_EQ(Run("predict 1 -d ids.csv -o p.NDJSON").code, 0);
  EXPECT_EQ(ReadFile(dir_ / "p.NDJSON").front(), '{');
  // The label in the target's type (int64 here), as transform and serve write it.
  const auto line = nlohmann::json::parse(
      ReadFile(dir_ / "p.NDJSON").substr(0, ReadFile(dir_ / "p.NDJSON").find('\n')));
  EXPECT_TRUE(line.at("prediction").is_number_integer()) << line.dump();
  // Early stopping without validation data is a usage error before any run is recorded.
  EXPECT_EQ(Run("train t.csv -t y --split none -p early_stopping_rounds=5 -q").code, 2);
  EXPECT_EQ(nlohmann::json::parse(Run("runs list --json").out).size(), 1u);
  r = Run("predict 1 -d ids.csv -o p.jsonl.gz");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "compressed output ('p.jsonl.gz') is not supported yet");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "p.jsonl.gz"));
}

// Inputs a user meets: a named pipe (read once, copied aside), UTF-16 and classic Mac line ends
// (named, with the command that converts them), schema files that contradict themselves.
TEST_F(CliTest, ImportExplainsUnusualInputs) {
  ASSERT_EQ(Run("init").code, 0);
  const auto fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] { std::ofstream(fifo) << "customer_id,amount\n1,2.5\n2,x\n"; });
  auto r = Run("data import pipe --name piped");
  writer.join();
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(Run("data export piped -o -").out, "customer_id,amount\n1,2.5\n2,x\n");
  WriteFile(dir_ / "u16.csv", std::string("\xFF\xFE"
                                          "a\0,\0b\0\n\0",
                                          10));
  r = Run("data import u16.csv --name u16");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the file is UTF-16");
  EXPECT_CONTAINS(r.err, "iconv -f UTF-16 -t UTF-8");
  WriteFile(dir_ / "mac.csv", "a,b\r1,2\r3,4\r");
  r = Run("data import mac.csv --name mac");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "lines end in a carriage return alone");
  // Some lines ending so among \n ones: refused too (the header swallowed the rows after it);
  // a carriage return inside quotes is a value.
  WriteFile(dir_ / "mixed.csv", "a\r1\r2\n3\n4\n");
  r = Run("data import mixed.csv --name mixed");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "mixed.csv:1: a line ends in a carriage return alone");
  WriteFile(dir_ / "mixed2.csv", "a,b\n1,2\n3,4\r5,6\n");
  EXPECT_CONTAINS(Run("data import mixed2.csv --name mixed2").err, "mixed2.csv:3: a line ends");
  WriteFile(dir_ / "quoted_cr.csv", "a,b\r\n1,\"x\ry\"\r\n");
  r = Run("data import quoted_cr.csv --name quoted_cr");
  EXPECT_EQ(r.code, 0) << r.err;
  // Past the first 64 KiB too, in a \r\n file: a row holding one is refused (or skipped),
  // where its field count alone would not tell (a text column), and takes no part in the
  // types (the number column stays int64).
  std::string late = "name,n\r\n";
  for (int i = 0; i < 5000; ++i)
    late += "customer" + std::to_string(i) + "," + std::to_string(i) + "\r\n";
  WriteFile(dir_ / "late_cr.csv", late + "ann\rbob,7\r\nzoe,8\r\n");
  r = Run("data import late_cr.csv --name late_cr");
  EXPECT_NE(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "late_cr.csv:5002:4: a line ends in a carriage return alone");
  r = Run("data import late_cr.csv --name late_cr --on-bad-rows skip");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Rows read: 5,002 = 5,001 imported + 1 rejected");
  const auto late_schema = nlohmann::json::parse(Run("data show late_cr --json").out)["schema"];
  EXPECT_EQ(late_schema[1]["type"], "int64");
  WriteFile(dir_ / "late_cr2.csv", late + "\"ann\"\rbob,7\r\n");  // after a closing quote
  EXPECT_CONTAINS(Run("data import late_cr2.csv --name late_cr2").err,
                  "late_cr2.csv:5002:6: a line ends in a carriage return alone");
  // A quote inside an unquoted field is a character (5'10"), not the start of a quoted one.
  WriteFile(dir_ / "inches.csv", "h,note\n5'10\",\"a\rb\"\n6'1\",\"\"\"c\"\"\r\"\n");
  r = Run("data import inches.csv --name inches");
  EXPECT_EQ(r.code, 0) << r.err;
  // A binary file with carriage returns is named as what it is.
  WriteFile(dir_ / "book.xlsx", std::string("PK\x03\x04\x14\0\r\x06\0\0", 10) + "\r\rxl/");
  r = Run("data import book.xlsx --name book");
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.find("carriage return"), std::string::npos) << r.err;
  WriteFile(dir_ / "s.csv", "a,b\n1,2\n");
  WriteFile(dir_ / "dup.yaml", "columns:\n  a: int64\n  a: string\n");
  EXPECT_CONTAINS(Run("data import s.csv --name s --schema dup.yaml").err,
                  "column 'a' appears twice");
  WriteFile(dir_ / "two.yaml", "columns:\n  a: {role: target}\n  b: {role: target}\n");
  EXPECT_CONTAINS(Run("data import s.csv --name s --schema two.yaml").err, "both have role target");
  r = Run("data import s.csv --name s --target a --role b=target");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "a dataset has one target");
  std::filesystem::create_directory(dir_ / "adir");
  r = Run("data import s.csv --name s --schema adir");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "schema file 'adir' is a directory");
  EXPECT_EQ(r.err.find("internal error"), std::string::npos);
}

// Predictions made elsewhere: a NaN score is no score (left out and counted apart from missing
// labels); a binary label column with one class is scored (sklearn's values); a large metric
// keeps its size in the table.
TEST_F(CliTest, EvalPredictionsEdgeCases) {
  ASSERT_EQ(Run("init").code, 0);
  WriteFile(dir_ / "nan.csv", "y,s\n1,0.9\n0,0.2\n1,nan\n0,0.4\n1,0.6\n0,0.7\n,0.5\n");
  auto r = Run("eval --predictions nan.csv --label y --score s");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out,
                  "on 5 rows (binary, positive class '1'); 1 without a label; 1 without a score");
  r = Run("eval --predictions nan.csv --label y --score s --json");
  EXPECT_CONTAINS(r.out, "\"accuracy\": 0.8,");  // sklearn, the NaN row dropped
  EXPECT_CONTAINS(r.out, "\"roc_auc\": 0.83333333333333");
  EXPECT_CONTAINS(r.out, "\"unscored_rows\": 1");
  // Labels written as 1.0 / 0.0 (pandas, for an int column with a missing value) are the same
  // binary labels, as scikit-learn's type_of_target says: the same figures. A float label of
  // other values stays regression.
  WriteFile(dir_ / "fl.csv", "y,s\n1.0,0.9\n0.0,0.2\n1.0,nan\n0.0,0.4\n1.0,0.6\n0.0,0.7\n,0.5\n");
  r = Run("eval --predictions fl.csv --label y --score s --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"task\": \"binary\"");
  EXPECT_CONTAINS(r.out, "\"accuracy\": 0.8,");
  EXPECT_CONTAINS(r.out, "\"roc_auc\": 0.83333333333333");
  WriteFile(dir_ / "fr.csv", "y,s\n1.5,0.9\n0.0,0.2\n1.0,0.4\n");
  EXPECT_CONTAINS(Run("eval --predictions fr.csv --label y --score s --json").out,
                  "\"task\": \"regression\"");
  WriteFile(dir_ / "one.csv", "y,s\n1,0.9\n1,0.4\n1,0.7\n1,0.2\n");
  r = Run("eval --predictions one.csv --label y --score s --task binary --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"recall\": 0.5,");
  EXPECT_CONTAINS(r.out, "\"log_loss\": 0.746941025976203");
  {  // undefined with one class, and said why
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["metrics"].contains("roc_auc"));
    EXPECT_CONTAINS(j["undefined_metrics"]["roc_auc"].get<std::string>(),
                    "Only one class present in y_true");
  }
  // A gate on it fails the command, after the results are printed.
  r =
      Run("eval --predictions one.csv --label y --score s --task binary --json "
          "--fail-under auc=0.5");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "\"recall\": 0.5,");
  EXPECT_CONTAINS(r.err,
                  "metric 'roc_auc' is not defined on this data: Only one class present in y_true");
  WriteFile(dir_ / "onestr.csv", "y,s\nyes,0.9\nyes,0.4\n");
  EXPECT_EQ(Run("eval --predictions onestr.csv --label y --score s --task binary").code, 1);
  EXPECT_EQ(
      Run("eval --predictions onestr.csv --label y --score s --task binary --positive yes").code,
      0);
  WriteFile(dir_ / "big.csv", "y,s\n1e16,2e16\n2e16,1e16\n3e16,5e16\n4e16,3e16\n");
  r = Run("eval --predictions big.csv --label y --score s --task regression");
  EXPECT_CONTAINS(r.out, "1.75e+32");

  // Refused with the reason, as scikit-learn refuses them, not metrics silently left out.
  WriteFile(dir_ / "inf.csv", "y,s\n1,2\n5,inf\n6,6\n");
  r = Run("eval --predictions inf.csv --label y --score s --task regression");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "score column 's' is infinite in row 2 (inf)");
  WriteFile(dir_ / "infy.csv", "y,s\n1,2\n-inf,5\n6,6\n");
  r = Run("eval --predictions infy.csv --label y --score s --task regression");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "label column 'y' is infinite in row 2 (-inf)");
  WriteFile(dir_ / "nosc.csv", "y,s,t\n0,,1\n1,,2\n");
  r = Run("eval --predictions nosc.csv --label y --score s");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no row has both a label and a score: 2 labelled rows have an empty");
  WriteFile(dir_ / "huge.csv", "y,s\n0,1e400\n1,0.8\n0,0.3\n");
  r = Run("eval --predictions huge.csv --label y --score s");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'1e400' in row 1 is a number beyond the range of a double");
  // Usage errors, before any data is read.
  r = Run("eval --predictions nan.csv --label y --score s --fail-under auc=0.9 auc=0.8");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "unexpected argument 'auc=0.8': a quality gate takes one METRIC=VALUE");
  r = Run("eval --predictions nan.csv --label y --score s --threshold nan");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--threshold must be a finite number");
  r = Run("eval --predictions nan.csv --label y --score s --threshold 0.3");  // no --business
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--threshold is the operating threshold of --business FILE's value");
  // A near miss shows every digit.
  r = Run("eval --predictions nan.csv --label y --score s --fail-under auc=0.8333334");
  EXPECT_EQ(r.code, 3);
  EXPECT_CONTAINS(r.err, "roc_auc = 0.8333333333333334 is under 0.8333334");
}

// The demo's synthetic world is the same bytes on every run and machine for a seed, and the
// drift knob changes it.
TEST_F(CliTest, ChurnGeneratorIsDeterministic) {
  auto gen = [&](const std::string& out, const std::string& flags) {
    std::string cmd = std::string(MLOOP_GEN_CHURN) + " --out '" + (dir_ / out).string() + "' " +
                      flags + " 2>/dev/null";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(gen("a", "--customers 300 --seed 5"), 0);
  ASSERT_EQ(gen("b", "--customers 300 --seed 5"), 0);
  ASSERT_EQ(gen("c", "--customers 300 --seed 5 --drift 0.9"), 0);
  for (const char* f : {"customers.csv", "transactions.csv", "tickets.csv", "labels.csv"}) {
    std::string a = ReadFile(dir_ / "a" / f);
    EXPECT_GT(a.size(), 100u) << f;
    EXPECT_EQ(a, ReadFile(dir_ / "b" / f)) << f;
  }
  EXPECT_NE(ReadFile(dir_ / "a" / "customers.csv"), ReadFile(dir_ / "c" / "customers.csv"));
  EXPECT_EQ(gen("d", "--customers -4"), 2 << 8);  // bad usage: exit code 2
}

}  // namespace
}  // namespace mloop

//===- Archive.cpp - Static archives and embedded metadata ----------------===//
#include "nnm/Compiler/Driver.h"

#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace nnm {

/// Section holding the model's metadata JSON in every compiled object.
constexpr const char *kMetadataSection = ".nnmodel.meta";

bool makeArchive(const std::vector<Blob> &objects, std::string &archive, std::string &error) {
  std::vector<llvm::NewArchiveMember> members;
  for (const Blob &o : objects) {
    llvm::NewArchiveMember member(llvm::MemoryBufferRef(o.bytes, o.name));
    member.MemberName = o.name;
    // Deterministic: no timestamps, owners or modes from the build machine.
    member.ModTime = llvm::sys::toTimePoint(0);
    member.UID = member.GID = 0;
    member.Perms = 0644;
    members.push_back(std::move(member));
  }
  auto buf = llvm::writeArchiveToBuffer(members, llvm::SymtabWritingMode::NormalSymtab,
                                        llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                        /*Thin=*/false);
  if (!buf) {
    error = llvm::toString(buf.takeError());
    return false;
  }
  archive.assign((*buf)->getBufferStart(), (*buf)->getBufferSize());
  return true;
}

static bool metadataFromObject(llvm::MemoryBufferRef ref, std::string &json) {
  auto obj = llvm::object::ObjectFile::createObjectFile(ref);
  if (!obj) {
    llvm::consumeError(obj.takeError());
    return false;
  }
  for (const llvm::object::SectionRef &s : (*obj)->sections()) {
    auto name = s.getName();
    if (!name || *name != kMetadataSection) {
      if (!name)
        llvm::consumeError(name.takeError());
      continue;
    }
    auto contents = s.getContents();
    if (!contents) {
      llvm::consumeError(contents.takeError());
      return false;
    }
    json = contents->str();
    while (!json.empty() && json.back() == '\0')
      json.pop_back();
    return true;
  }
  return false;
}

bool readEmbeddedMetadata(const std::string &path, std::string &json, std::string &error) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buf) {
    error = "cannot read '" + path + "': " + buf.getError().message();
    return false;
  }
  llvm::MemoryBufferRef ref = (*buf)->getMemBufferRef();
  if (ref.getBuffer().starts_with("!<arch>\n")) {
    auto ar = llvm::object::Archive::create(ref);
    if (!ar) {
      error = "'" + path + "' is not a valid archive: " + llvm::toString(ar.takeError());
      return false;
    }
    llvm::Error err = llvm::Error::success();
    for (const auto &child : (*ar)->children(err)) {
      auto mem = child.getMemoryBufferRef();
      if (!mem) {
        llvm::consumeError(mem.takeError());
        continue;
      }
      if (metadataFromObject(*mem, json)) {
        llvm::consumeError(std::move(err));
        return true;
      }
    }
    if (err) {
      error = "'" + path + "': " + llvm::toString(std::move(err));
      return false;
    }
  } else if (metadataFromObject(ref, json)) {
    return true;
  }
  error = "'" + path + "' holds no NNModel metadata (not built by nnmodel compile?)";
  return false;
}

static constexpr const char *kTemporarySuffix = ".tmp-";

void removeStaleTemporaries(const std::string &path) {
  llvm::StringRef dir = llvm::sys::path::parent_path(path);
  std::string prefix = llvm::sys::path::filename(path).str() + kTemporarySuffix;
  std::error_code ec;
  std::vector<std::string> stale;
  for (llvm::sys::fs::directory_iterator it(dir.empty() ? "." : dir, ec), end;
       !ec && it != end; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    // Only this writer's own pattern: <file>.tmp-XXXXXX.
    if (name.starts_with(prefix) && name.size() == prefix.size() + 6)
      stale.push_back(it->path());
  }
  for (const std::string &s : stale)
    llvm::sys::fs::remove(s);
}

bool writeTemporary(const std::string &path, const std::string &data, std::string &tmpPath,
                    std::string &error) {
  llvm::SmallString<256> tmp;
  int fd;
  if (auto ec = llvm::sys::fs::createUniqueFile(path + kTemporarySuffix + "%%%%%%", fd, tmp)) {
    error = "cannot create a file next to '" + path + "': " + ec.message();
    return false;
  }
  // Interrupted by SIGINT/SIGTERM (or a crash) before the rename: removed, not left.
  llvm::sys::RemoveFileOnSignal(tmp);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << data;
    os.flush();
    // On disk before it is renamed into place: a crash never leaves a name
    // pointing at an empty or partial file.
    std::error_code synced;
    if (!os.has_error() && ::fsync(fd) != 0)
      synced = std::error_code(errno, std::generic_category());
    os.close();
    if (os.has_error() || synced) {
      error = "cannot write '" + path + "': " + (synced ? synced : os.error()).message();
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      llvm::sys::DontRemoveFileOnSignal(tmp);
      return false;
    }
  }
  llvm::sys::fs::setPermissions(tmp, llvm::sys::fs::perms(0644));
  tmpPath = tmp.str().str();
  return true;
}

bool commitTemporary(const std::string &tmpPath, const std::string &path, std::string &error) {
  auto ec = llvm::sys::fs::rename(tmpPath, path);
  if (ec) {
    error = "cannot rename into '" + path + "': " + ec.message();
    llvm::sys::fs::remove(tmpPath);
  }
  llvm::sys::DontRemoveFileOnSignal(tmpPath);
  return !ec;
}

void syncDirectory(const std::string &dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool writeFileAtomically(const std::string &path, const std::string &data, std::string &error) {
  std::string tmp;
  return writeTemporary(path, data, tmp, error) && commitTemporary(tmp, path, error);
}

} // namespace nnm
